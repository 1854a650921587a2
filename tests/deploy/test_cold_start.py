"""A process that has just started serves its first requests like any other: no lazily built state
(the handler registry) can be seen half-made by a second thread."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.live import free_port, wait_for

from .conftest import BIN, PASSWORD

CONCURRENT_CREATES = 32


def test_a_cold_web_process_answers_concurrent_creates_of_http_jobs(stack_env, processes, receiver):
    release = processes.start("release", [str(BIN / "chronos"), "migrate"], stack_env)
    assert release.wait(timeout=120) == 0, processes.logs()
    port = free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
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
        stack_env,
    )
    wait_for(lambda: httpx.get(base + "/health/live").status_code == 200, 60, message="gunicorn")
    # Registering and signing in touch no handler; the first handler lookups are the creates below.
    httpx.post(base + "/auth/register", json={"email": "cold@example.com", "password": PASSWORD})
    token = httpx.post(base + "/auth/login", json={"email": "cold@example.com", "password": PASSWORD}).json()[
        "access_token"
    ]
    headers = {"Authorization": f"Bearer {token}"}
    start = threading.Barrier(CONCURRENT_CREATES)

    def create(index: int) -> tuple[int, str]:
        body = {
            "name": f"cold {index}",
            "schedule_type": "interval",
            "interval_seconds": 3600,
            "handler": "http",
            "target": {"url": f"{receiver.url}/ok/{index}"},
        }
        # A client of its own per request: requests spread over every gunicorn worker and thread.
        with httpx.Client(timeout=30) as client:
            start.wait()
            response = client.post(base + "/jobs", json=body, headers=headers)
            return response.status_code, response.text

    with ThreadPoolExecutor(CONCURRENT_CREATES) as pool:
        results = list(pool.map(create, range(CONCURRENT_CREATES)))
    refused = [text for status, text in results if status != 201]
    assert not refused, refused
