"""The engine's guarantees, each proven with real consumer processes on real PostgreSQL and Redis.

Consumers are `python -m chronos.worker` subprocesses (see conftest.py) with short leases and
backoffs; targets are a real HTTP receiver on 127.0.0.1 or handlers registered through
CHRONOS_HANDLER_MODULES. Periodic passes (planner, safety sync) are triggered by enqueuing the same
Huey periodic tasks the consumers run every minute, so a real consumer runs them.
"""

from __future__ import annotations

import signal
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from chronos import tasks
from chronos.extensions import db
from chronos.models import Execution, Job, db_now
from chronos.sync import LEASE_EXPIRED
from tests.factories import make_execution, make_job, reload
from tests.live import wait_for


def _statuses(job_ids: list[int] | None = None) -> dict[str, int]:
    db.session.expire_all()
    query = select(Execution.status, func.count()).group_by(Execution.status)
    if job_ids is not None:
        query = query.where(Execution.job_id.in_(job_ids))
    result = dict(db.session.execute(query).all())
    db.session.rollback()
    return result


def _settled(job_ids: list[int] | None = None) -> bool:
    statuses = _statuses(job_ids)
    return bool(statuses) and not set(statuses) & {"pending", "running", "retrying"}


def test_exactly_once_per_slot_with_two_consumers_and_two_planners(app, consumers, redis, monkeypatch):
    env = {"PLANNER_LOOKAHEAD_SECONDS": "2"}
    consumers.start(workers=3, extra_env=env)
    consumers.start(workers=3, extra_env=env)
    monkeypatch.setitem(app.config, "PLANNER_LOOKAHEAD_SECONDS", 2)
    start = db_now() + timedelta(seconds=1)
    jobs = [
        make_job(name=f"every second {i}", handler="count", interval_seconds=1, next_run_at=start)
        for i in range(12)
    ]
    job_ids = [job.id for job in jobs]

    # For ~5 s, planners race: both consumers' periodic planner (enqueued twice per round) and
    # two in-process planner threads, all over the same jobs.
    def plan_in_process() -> None:
        with app.app_context():
            for _ in range(10):
                tasks.plan_now()
                time.sleep(0.5)
            db.session.remove()

    threads = [threading.Thread(target=plan_in_process) for _ in range(2)]
    for thread in threads:
        thread.start()
    for _ in range(10):
        tasks.plan_periodically()
        tasks.plan_periodically()
        time.sleep(0.5)
    for thread in threads:
        thread.join()
    # Stop planning (already planned slots still run), then let every slot finish.
    db.session.execute(update(Job).values(next_run_at=None))
    db.session.commit()
    wait_for(lambda: _settled(job_ids), timeout=20, message="all slots finished")

    rows = db.session.execute(
        select(Execution.job_id, Execution.scheduled_for, Execution.status, Execution.attempt)
    ).all()
    calls = {key.decode(): int(value) for key, value in redis.hgetall("sample:slots").items()}
    assert {row.status for row in rows} == {"succeeded"}
    assert {row.attempt for row in rows} == {1}
    for job in jobs:
        slots = sorted(row.scheduled_for for row in rows if row.job_id == job.id)
        # None missing: every second from the first slot on; none doubled.
        assert len(slots) >= 5
        assert slots == [start + timedelta(seconds=k) for k in range(len(slots))]
        for slot in slots:
            assert calls.get(f"{job.id}@{slot.isoformat()}") == 1, (job.id, slot)
    assert sum(calls.values()) == len(rows)


def test_consumer_killed_mid_run_is_detected_and_retried(app, consumers, redis):
    first = consumers.start(workers=1)
    job = make_job(
        handler="sleepy", payload={"seconds": 2}, timeout_seconds=3, max_retries=2, retry_backoff_seconds=[1]
    )
    row = make_execution(job, scheduled_for=db_now())
    tasks.run_executions([row.id])
    wait_for(lambda: redis.llen("sample:started") == 1, message="attempt 1 started")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=5)
    second = consumers.start(workers=1)
    assert reload(row).status == "running"  # the killed consumer's claim is still there
    # Lease = timeout 3 s + grace 2 s; after it the periodic safety sync gives the slot back.
    time.sleep(max(0.0, (reload(row).lease_expires_at - db_now()).total_seconds()) + 0.2)
    tasks.sync_periodically()
    wait_for(lambda: _settled([job.id]), timeout=15, message="execution finished")
    row = reload(row)
    assert (row.status, row.attempt) == ("succeeded", 2)
    assert [a["status"] for a in row.attempts] == ["interrupted", "succeeded"]
    assert LEASE_EXPIRED in row.attempts[0]["error"]
    assert row.worker.endswith(f":{second.pid}")
    assert _statuses() == {"succeeded": 1}
    # The killed attempt was really cut short: only the retry finished its call.
    assert redis.lrange("sample:finished", 0, -1) == [f"{row.id}:2".encode()]


def test_redis_flushed_with_firings_planned_still_runs_each_once(app, consumers, redis):
    due = db_now() + timedelta(seconds=3)
    jobs = [
        make_job(schedule_type="once", run_at=due, next_run_at=due, interval_seconds=None, handler="count")
        for _ in range(10)
    ]
    assert tasks.plan_now() == 10
    assert len(redis.keys("*")) > 0
    # Every queued firing is gone. (Flushed before a consumer runs: a consumer that already
    # popped a task would put it back on its schedule after the flush, which proves nothing.)
    redis.flushdb()
    consumers.start(workers=2)
    time.sleep(
        max(0.0, (due - db_now()).total_seconds()) + 2.5
    )  # due, plus the re-queue grace (RECOVERY_GRACE_SECONDS)
    assert _statuses() == {"pending": 10}
    tasks.sync_periodically()
    wait_for(lambda: _settled(), timeout=15, message="all recovered firings finished")
    assert _statuses() == {"succeeded": 10}
    calls = redis.hgetall("sample:slots")
    assert len(calls) == 10 and {int(v) for v in calls.values()} == {1}
    db.session.expire_all()
    assert {reload(job).status for job in jobs} == {"completed"}


def test_target_failing_twice_then_succeeding_ends_succeeded_on_attempt_3(app, consumers, receiver):
    consumers.start(workers=2)
    flaky = make_job(
        handler="http",
        target={"url": f"{receiver.url}/flaky/2/a", "method": "POST"},
        max_retries=3,
        retry_backoff_seconds=[1, 1],
    )
    broken = make_job(
        handler="http",
        target={"url": f"{receiver.url}/fail", "method": "POST"},
        max_retries=2,
        retry_backoff_seconds=[1],
    )
    rows = [make_execution(flaky, scheduled_for=db_now()), make_execution(broken, scheduled_for=db_now())]
    tasks.run_executions([row.id for row in rows])
    wait_for(lambda: _settled(), timeout=20, message="both finished")
    ok, bad = reload(rows[0]), reload(rows[1])
    assert (ok.status, ok.attempt) == ("succeeded", 3)
    assert [(a["status"], a["http_status"]) for a in ok.attempts] == [
        ("failed", 500),
        ("failed", 500),
        ("succeeded", 200),
    ]
    assert (bad.status, bad.attempt) == ("failed", 3)
    assert [a["http_status"] for a in bad.attempts] == [503, 503, 503]
    # Every retry of one slot carries the same execution id and scheduled time, and its attempt.
    requests = receiver.matching("/flaky/")
    assert [r.headers["X-Chronos-Attempt"] for r in requests] == ["1", "2", "3"]
    assert {r.headers["X-Chronos-Execution-Id"] for r in requests} == {str(ok.id)}
    assert len({r.headers["X-Chronos-Scheduled-For"] for r in requests}) == 1
    assert len(receiver.matching("/fail")) == 3


def test_timeout_fails_the_attempt_and_frees_the_worker(app, consumers, receiver):
    consumers.start(workers=1)
    slow = make_job(
        handler="http",
        target={"url": f"{receiver.url}/slow/5", "method": "GET"},
        timeout_seconds=1,
        max_retries=0,
    )
    quick = make_job(handler="http", target={"url": f"{receiver.url}/ok", "method": "GET"})
    slow_row = make_execution(slow, scheduled_for=db_now())
    tasks.run_executions([slow_row.id])
    wait_for(lambda: receiver.matching("/slow/"), message="slow call started")
    quick_row = make_execution(quick, scheduled_for=db_now())
    tasks.run_executions([quick_row.id])  # queued behind the slow one on the only worker thread
    wait_for(lambda: _settled(), timeout=10, message="both finished")
    slow_row, quick_row = reload(slow_row), reload(quick_row)
    assert (slow_row.status, slow_row.attempt) == ("failed", 1)
    assert "timed out" in slow_row.error.lower() or "timeout" in slow_row.error.lower()
    assert slow_row.duration_ms < 3000
    # The single worker was free again right after the timeout, long before the target answered.
    assert quick_row.status == "succeeded"
    assert quick_row.started_at - slow_row.started_at < timedelta(seconds=3)


@pytest.mark.parametrize("worker_type", ["thread", "process"])
def test_sigterm_puts_the_running_execution_back_for_another_consumer(app, consumers, redis, worker_type):
    first = consumers.start(workers=1, extra_env={"CHRONOS_WORKER_TYPE": worker_type})
    job = make_job(handler="sleepy", payload={"seconds": 3}, timeout_seconds=10, max_retries=0)
    row = make_execution(job, scheduled_for=db_now())
    tasks.run_executions([row.id])
    wait_for(lambda: redis.llen("sample:started") == 1, message="attempt 1 started")
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=10) == 0
    put_back = reload(row)
    assert put_back.status == "pending" and put_back.attempts[0]["status"] == "interrupted"
    assert put_back.worker is None and put_back.lease_expires_at is None
    second = consumers.start(workers=1)
    wait_for(lambda: _settled([job.id]), timeout=15, message="finished by the second consumer")
    row = reload(row)
    assert (row.status, row.attempt) == ("succeeded", 2)
    assert row.worker.endswith(f":{second.pid}")
    assert "put back" in consumers.logs().lower()
    # Not lost and not doubled: one interrupted attempt, one that finished.
    assert [a["status"] for a in row.attempts] == ["interrupted", "succeeded"]
    assert redis.lrange("sample:finished", 0, -1) == [f"{row.id}:2".encode()]
