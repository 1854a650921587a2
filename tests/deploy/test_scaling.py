"""Horizontal scaling: two web instances and two consumers on one PostgreSQL and Redis fire every slot
exactly once — jobs created through either instance, planners and executors racing each other."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import httpx

from tests.live import free_port, wait_for

from .conftest import BIN, Client, in_seconds, one_time_http_job

ONE_TIME_JOBS = 30
CRON_JOBS = 3
WINDOW_SECONDS = 8


def test_two_web_instances_and_two_consumers_fire_each_slot_exactly_once(stack_env, processes, receiver):
    release = processes.start("release", [str(BIN / "chronos"), "migrate"], stack_env)
    assert release.wait(timeout=120) == 0, processes.logs()
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
            stack_env,
        )
    for index in range(2):
        processes.start(f"worker-{index}", [str(BIN / "python"), "-m", "chronos.worker"], stack_env)
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    for base in bases:
        wait_for(
            lambda base=base: httpx.get(base + "/api/v1/health/live").status_code == 200, 60, message=base
        )
    wait_for(
        lambda: httpx.get(bases[0] + "/api/v1/health/ready").json().get("workers", 0) >= 2,
        60,
        message="both consumers' heartbeats",
    )

    clients = [Client(bases[0], "scale@example.com"), Client(bases[1], "scale@example.com")]
    due = in_seconds(4).replace(microsecond=0)
    one_time = [
        clients[i % 2].create_job(**one_time_http_job(f"{receiver.url}/ok/once-{i}", due, f"once {i}"))
        for i in range(ONE_TIME_JOBS)
    ]
    cron = [
        clients[i % 2].create_job(
            name=f"every 2 s {i}",
            job_type="recurring",
            schedule_type="cron",
            cron_expression="*/2 * * * * *",
            handler="http",
            target={"url": f"{receiver.url}/ok/cron-{i}", "method": "POST"},
            max_retries=0,
        )
        for i in range(CRON_JOBS)
    ]
    window_start = datetime.now(due.tzinfo)

    wait_for(
        lambda: len({r.path for r in receiver.matching("/ok/once-")}) == ONE_TIME_JOBS,
        30,
        message="every one-time job",
    )
    wait_for(lambda: datetime.now(due.tzinfo) > window_start + timedelta(seconds=WINDOW_SECONDS), 30)
    for job in cron:
        assert clients[0].http.post(f"/jobs/{job['id']}/pause").status_code == 200
    window_end = datetime.now(due.tzinfo)

    # One-time jobs: each called exactly once, as one execution each.
    calls = Counter(r.path for r in receiver.matching("/ok/once-"))
    assert set(calls.values()) == {1}, calls
    for job in one_time:
        assert [e["status"] for e in clients[0].executions(job["id"])] == ["succeeded"]

    # Cron jobs: every 2-second slot inside the window fired once, none twice, none missing.
    for i, job in enumerate(cron):
        slots = Counter(r.headers["X-Chronos-Scheduled-For"] for r in receiver.matching(f"/ok/cron-{i}"))
        assert slots and set(slots.values()) == {1}, slots
        fired = sorted(datetime.fromisoformat(s) for s in slots)
        expected = [fired[0] + timedelta(seconds=2 * k) for k in range(len(fired))]
        assert fired == expected, f"a slot is missing: {fired}"
        assert fired[-1] >= window_end - timedelta(seconds=4), "slots stopped firing early"
        executions = clients[1].executions(job["id"])
        ran = [e for e in executions if e["status"] == "succeeded"]
        assert len(ran) == len(fired)
        assert len({e["scheduled_for"] for e in executions}) == len(executions)

    ids = Counter(r.headers["X-Chronos-Execution-Id"] for r in receiver.requests)
    assert set(ids.values()) == {1}, "an execution was delivered twice"
    assert "Traceback" not in processes.logs(), processes.logs()
