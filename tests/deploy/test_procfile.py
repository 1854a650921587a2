"""The Procfile's own lines run Chronos: `release` migrates an empty database, `web` answers, `worker`
fires a job, and /metrics counts it. Started with honcho, as a Procfile platform would."""

from __future__ import annotations

import re
import signal

from tests.live import free_port, wait_for

from .conftest import ROOT, Client, in_seconds, one_time_http_job


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def test_procfile_declares_release_web_and_worker():
    assert set(procfile()) == {"release", "web", "worker"}


def test_procfile_stack_migrates_serves_and_fires_a_job(stack_env, processes, receiver, tmp_path):
    release = processes.start("release", procfile()["release"], stack_env)
    assert release.wait(timeout=120) == 0, processes.logs()

    port = free_port()
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("")
    honcho = processes.start(
        "honcho",
        [
            "honcho",
            "-f",
            str(ROOT / "Procfile"),
            "-e",
            str(empty_env_file),
            "start",
            "-p",
            str(port),
            "web",
            "worker",
        ],
        stack_env,
    )
    base = f"http://127.0.0.1:{port}"
    import httpx

    wait_for(lambda: httpx.get(base + "/api/v1/health/live").status_code == 200, 60, message="web to answer")
    wait_for(
        lambda: httpx.get(base + "/api/v1/health/ready").json().get("workers"),
        60,
        message="a consumer's heartbeat",
    )

    client = Client(base, "procfile@example.com")
    job = client.create_job(**one_time_http_job(receiver.url + "/ok", in_seconds(3), "From the Procfile"))
    wait_for(lambda: receiver.matching("/ok"), 30, message="the job's call")
    execution = wait_for(
        lambda: [e for e in client.executions(job["id"]) if e["status"] == "succeeded"],
        15,
        message="the execution to succeed",
    )[0]
    assert execution["trigger"] == "schedule" and execution["attempt"] == 1
    request = receiver.matching("/ok")[0]
    assert request.headers["X-Chronos-Execution-Id"] == str(execution["id"])

    metrics = httpx.get(base + "/metrics").text
    assert re.search(r'chronos_executions_total\{handler="http",status="succeeded"\} 1\.0', metrics), metrics
    assert re.search(r"chronos_firing_lateness_seconds_count 1\.0", metrics)

    assert processes.stop(honcho, signal.SIGTERM) is not None
    assert "Traceback" not in processes.logs(), processes.logs()
