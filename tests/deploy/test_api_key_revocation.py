"""An API key revoked through one web process is refused at once by every other one."""

from __future__ import annotations

import httpx

from tests.live import free_port, wait_for

from .conftest import BIN, Client


def test_a_revoked_key_is_refused_by_every_web_process_on_the_next_request(stack_env, processes):
    release = processes.start("release", [str(BIN / "chronos"), "migrate"], stack_env)
    assert release.wait(timeout=120) == 0, processes.logs()
    env = {**stack_env, "WEB_CONCURRENCY": "1"}
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
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    for base in bases:
        wait_for(
            lambda base=base: httpx.get(base + "/api/v1/health/live").status_code == 200, 60, message=base
        )

    owner = Client(bases[0], "keys@example.com")
    workspace = owner.http.get("/workspaces").json()["items"][0]["id"]
    created = owner.http.post(f"/workspaces/{workspace}/api-keys", json={"name": "CI", "role": "editor"})
    assert created.status_code == 201, created.text
    key = created.json()
    with_key = [
        httpx.Client(base_url=base + "/api/v1", headers={"Authorization": f"Bearer {key['key']}"})
        for base in bases
    ]
    job = with_key[0].post(
        "/jobs", json={"name": "from CI", "schedule_type": "interval", "interval_seconds": 60}
    )
    assert job.status_code == 201, job.text
    for client in with_key:  # both processes accept it, and see the same workspace
        assert client.get(f"/jobs/{job.json()['id']}").status_code == 200

    other_process = Client(bases[1], "keys@example.com")
    assert other_process.http.delete(f"/workspaces/{workspace}/api-keys/{key['id']}").status_code == 204
    for client in with_key:
        response = client.get("/jobs")
        assert response.status_code == 401, response.text
        assert response.json()["message"] == "Invalid API key: it is unknown, revoked or expired."
