"""One instance, several processes: what they share is shared for real (rate limits on the embedded
default), and what must be their own is (gunicorn's control socket); `serve` names its own address."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import httpx

from chronos.cli import serve_environment
from tests.live import free_port, wait_for

from .conftest import BIN

LOGIN_LIMIT = 5
ATTEMPTS = 24


def _embedded_env(tmp_path) -> dict[str, str]:
    """The embedded default: no DATABASE_URL, no REDIS_URL; everything in a data directory."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "RATELIMIT_STORAGE_URI", "PROMETHEUS_MULTIPROC_DIR")
    }
    env.update(
        {
            "CHRONOS_DATA_DIR": str(tmp_path / "data"),
            "RATELIMIT_ENABLED": "true",
            "RATELIMIT_AUTH": f"{LOGIN_LIMIT} per minute",
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "4",
            "HOME": str(tmp_path / "home"),
        }
    )
    return env


def test_login_limit_holds_for_the_whole_embedded_instance(tmp_path, processes):
    env = _embedded_env(tmp_path)
    assert processes.start("release", [str(BIN / "chronos"), "migrate"], env).wait(timeout=120) == 0, (
        processes.logs()
    )
    port = free_port()
    processes.start(
        "web",
        [
            str(BIN / "gunicorn"),
            "-c",
            "infra/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "chronos.wsgi:app",
        ],
        env,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    wait_for(lambda: httpx.get(base + "/health/live").status_code == 200, 60, message="gunicorn")

    def login(_: int) -> int:
        # A connection of its own each: attempts spread over both gunicorn workers.
        with httpx.Client(timeout=30) as client:
            return client.post(
                base + "/auth/login", json={"email": "nobody@example.com", "password": "wrong password"}
            ).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(login, range(ATTEMPTS)))
    assert codes.count(401) == LOGIN_LIMIT, codes
    assert codes.count(429) == ATTEMPTS - LOGIN_LIMIT, codes


def test_two_gunicorn_instances_on_one_host_do_not_share_a_control_socket(tmp_path, processes):
    env = _embedded_env(tmp_path)
    assert processes.start("release", [str(BIN / "chronos"), "migrate"], env).wait(timeout=120) == 0
    ports = [free_port(), free_port()]
    for index, port in enumerate(ports):
        processes.start(
            f"web-{index}",
            [
                str(BIN / "gunicorn"),
                "-c",
                "infra/gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "chronos.wsgi:app",
            ],
            env,
        )
    for port in ports:
        wait_for(
            lambda port=port: httpx.get(f"http://127.0.0.1:{port}/api/v1/health/live").status_code == 200,
            60,
            message=f"gunicorn on {port}",
        )
    assert "Control socket listening" not in processes.logs()
    assert not (tmp_path / "home" / ".gunicorn").exists()
    # An instance that wants gunicornc gives a path of its own.
    own = tmp_path / "web-2.ctl"
    port = free_port()
    processes.start(
        "web-2",
        [
            str(BIN / "gunicorn"),
            "-c",
            "infra/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "chronos.wsgi:app",
        ],
        {**env, "GUNICORN_CONTROL_SOCKET": str(own)},
    )
    wait_for(own.exists, 60, message="its own control socket")


def test_serve_links_to_the_address_it_listens_on(tmp_path, monkeypatch):
    monkeypatch.setenv("CHRONOS_DATA_DIR", str(tmp_path))
    assert serve_environment("127.0.0.1", 8123, {})["PUBLIC_BASE_URL"] == "http://127.0.0.1:8123"
    assert serve_environment("0.0.0.0", 9000, {})["PUBLIC_BASE_URL"] == "http://127.0.0.1:9000"
    assert serve_environment("::1", 9000, {})["PUBLIC_BASE_URL"] == "http://[::1]:9000"
    configured = {"PUBLIC_BASE_URL": "https://chronos.example.com"}
    assert serve_environment("0.0.0.0", 9000, configured)["PUBLIC_BASE_URL"] == "https://chronos.example.com"
