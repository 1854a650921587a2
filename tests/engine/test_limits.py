"""Backfills and concurrency limits with real consumer processes on real PostgreSQL and Redis.

Concurrency is recorded where it matters, at the receiver (the most requests it answered at once),
and in the database (the most rows `running` at once, sampled while the test runs).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Self

from sqlalchemy import func, select

from chronos import tasks
from chronos.extensions import db
from chronos.models import Backfill, ConcurrencyLimit, Execution, Job, Workspace
from tests.factories import make_execution, make_job, make_user, token_headers
from tests.live import wait_for


def _statuses(condition) -> dict[str, int]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Execution.status, func.count()).where(condition).group_by(Execution.status)
    ).all()
    db.session.rollback()
    return dict(rows)


class RunningSampler:
    """Samples how many rows matching `condition` are `running`, every 20 ms, in a thread of its own."""

    def __init__(self, app, condition) -> None:
        self.app, self.condition, self.peak = app, condition, 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        with self.app.app_context():
            while not self.stop.wait(0.02):
                count = db.session.scalar(
                    select(func.count(Execution.id))
                    .join(Job, Job.id == Execution.job_id)
                    .where(self.condition, Execution.status == "running")
                )
                db.session.rollback()
                self.peak = max(self.peak, int(count or 0))
            db.session.remove()

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


def _minutes(count: int) -> tuple[datetime, datetime]:
    """The last `count` whole minutes before now: a range holding `count` every-minute slots."""
    end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    return end - timedelta(minutes=count - 1), end


def test_a_backfill_of_50_slots_runs_two_at_a_time_oldest_first_and_is_never_doubled(
    app, consumers, receiver
):
    consumers.start(workers=3)
    consumers.start(workers=3)
    job = make_job(
        schedule_type="cron",
        cron_expression="* * * * *",
        handler="http",
        target={"url": f"{receiver.url}/slow/0.15", "method": "POST"},
        next_run_at=datetime.now(UTC) + timedelta(hours=1),
    )
    start, end = _minutes(50)
    with RunningSampler(app, Execution.job_id == job.id) as sampler:
        backfill = tasks.start_backfill(job, start, end, 2)
        assert (backfill.slot_count, backfill.created_count) == (50, 50)
        wait_for(
            lambda: _statuses(Execution.job_id == job.id) == {"succeeded": 50},
            timeout=90,
            message="the 50 backfilled slots ran",
        )
    assert receiver.peak["slow"] == 2, receiver.peak  # two at a time: the limit was used, never passed
    assert sampler.peak <= 2, sampler.peak
    requests = receiver.matching("/slow/")
    slots = [r.headers["X-Chronos-Scheduled-For"] for r in requests]
    expected = [(start + timedelta(minutes=k)).isoformat() for k in range(50)]
    assert sorted(slots) == expected  # every slot once
    # Oldest first: each call is for one of the two oldest slots not called yet.
    for index, slot in enumerate(slots):
        assert slot in sorted(set(expected) - set(slots[:index]))[:2], (index, slot)
    rows = db.session.execute(
        select(Execution.trigger, Execution.attempt).where(Execution.job_id == job.id)
    ).all()
    assert {(r.trigger, r.attempt) for r in rows} == {("backfill", 1)}  # none late, none retried

    # The same range again: nothing to create, nothing called.
    again = tasks.start_backfill(job, start, end, 2)
    assert (again.slot_count, again.created_count) == (50, 0)
    time.sleep(1.0)
    assert len(receiver.matching("/slow/")) == 50
    assert db.session.scalar(select(func.count(Execution.id)).where(Execution.job_id == job.id)) == 50


def test_a_concurrency_key_holds_at_3_across_two_consumers_under_a_burst_of_30(app, consumers, receiver):
    consumers.start(workers=4)
    consumers.start(workers=4)
    owner = make_user()
    db.session.add(
        ConcurrencyLimit(
            workspace_id=Workspace.personal_id(owner.id), key="receiver", max_running=3, tokens=1.0
        )
    )
    db.session.commit()
    jobs = [
        make_job(
            name=f"burst {i}",
            handler="http",
            target={"url": f"{receiver.url}/slow/0.3", "method": "POST"},
            concurrency_key="receiver",
            misfire_policy="skip",
        )
        for i in range(6)
    ]
    # A job without the key runs beside them, whatever the key's limit.
    free = make_job(name="free", handler="http", target={"url": f"{receiver.url}/ok", "method": "GET"})
    due = datetime.now(UTC)
    rows = [make_execution(jobs[i % 6], scheduled_for=due + timedelta(milliseconds=i)) for i in range(30)]
    free_row = make_execution(free, scheduled_for=due)
    keyed = Job.concurrency_key == "receiver"
    with RunningSampler(app, keyed) as sampler:
        # The burst: a task per execution, so both consumers' workers claim at once.
        for row in [*rows, free_row]:
            tasks.run_executions([row.id])
        wait_for(lambda: "waiting" in _statuses(Execution.job_id.in_([j.id for j in jobs])), timeout=10)
        wait_for(
            lambda: _statuses(Execution.job_id.in_([j.id for j in jobs])) == {"succeeded": 30},
            timeout=60,
            message="the 30 executions of the key ran",
        )
    assert receiver.peak["slow"] == 3, receiver.peak  # the fourth call never started while three ran
    assert sampler.peak <= 3, sampler.peak
    assert len(receiver.matching("/slow/")) == 30
    assert {r.headers["X-Chronos-Attempt"] for r in receiver.matching("/slow/")} == {"1"}
    db.session.expire_all()
    assert db.session.get(Execution, free_row.id).status == "succeeded"
    # Waiting is not failing: each ran once, on its first attempt, none skipped as late.
    waited = db.session.scalars(select(Execution.reason).where(Execution.id.in_([r.id for r in rows]))).all()
    assert "concurrency_key:receiver" in waited and set(waited) <= {None, "concurrency_key:receiver"}
    # Both consumers took part.
    workers = set(db.session.scalars(select(Execution.worker).where(Execution.id.in_([r.id for r in rows]))))
    assert len(workers) == 2, workers


def test_cancelling_a_backfill_stops_what_has_not_started(app, consumers, receiver, pg_client):
    consumers.start(workers=2)
    job = make_job(
        schedule_type="cron",
        cron_expression="* * * * *",
        handler="http",
        target={"url": f"{receiver.url}/slow/0.5", "method": "POST"},
        next_run_at=datetime.now(UTC) + timedelta(hours=1),
    )
    start, end = _minutes(20)
    backfill = tasks.start_backfill(job, start, end, 1)
    wait_for(lambda: len(receiver.matching("/slow/")) >= 2, timeout=20, message="two calls made")
    response = pg_client.delete(
        f"/api/v1/jobs/{job.id}/backfills/{backfill.id}", headers=token_headers(make_user())
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "cancelled"
    wait_for(lambda: "running" not in _statuses(Execution.job_id == job.id), timeout=10)
    time.sleep(1.0)  # any task still queued finds nothing to run
    statuses = _statuses(Execution.job_id == job.id)
    called = len(receiver.matching("/slow/"))
    assert statuses.get("succeeded") == called and statuses.get("cancelled") == 20 - called, statuses
    assert 2 <= called <= 4
    db.session.expire_all()
    assert db.session.get(Backfill, backfill.id).cancelled_at is not None
