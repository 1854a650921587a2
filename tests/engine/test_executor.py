"""The executor in-process on real PostgreSQL: claims, settles, records, retries, refuses late writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

import tests.engine.sample_handlers  # noqa: F401  (registers flaky, sleepy, asks_to_wait, refuses)
from chronos import executor, tasks
from chronos.extensions import db, huey
from chronos.handlers import Outcome
from chronos.models import Execution, ExecutionLog, db_now
from chronos.sync import LEASE_EXPIRED
from tests.factories import make_execution, make_job, reload


def _queued() -> dict[int, object]:
    """Execution id → eta of every run_executions task waiting in this run's Redis."""
    return {
        i: task.eta for task in huey.pending() if task.name.endswith("run_executions") for i in task.args[0]
    }


def _logs(execution_id: int) -> list[ExecutionLog]:
    return list(
        db.session.scalars(
            select(ExecutionLog).where(ExecutionLog.execution_id == execution_id).order_by(ExecutionLog.id)
        )
    )


def test_batch_runs_and_records_each_attempt(app):
    jobs = [make_job(name=f"job {i}", payload={"n": i}) for i in range(3)]
    rows = [make_execution(job) for job in jobs]
    tasks.run_executions.call_local([r.id for r in rows])
    for job, row in zip(jobs, rows, strict=False):
        row = reload(row)
        assert (row.status, row.attempt, row.error) == ("succeeded", 1, None)
        assert row.started_at and row.finished_at and row.duration_ms is not None
        assert row.lease_expires_at is None and row.worker == executor.worker_name
        assert [a["status"] for a in row.attempts] == ["succeeded"]
        (line,) = _logs(row.id)
        assert line.attempt == 1 and line.data == {"payload": job.payload}
        job = reload(job)
        assert job.last_status == "succeeded" and job.last_run_at == row.started_at


def test_second_delivery_finds_nothing_to_claim(app):
    row = make_execution(make_job())
    tasks.run_executions.call_local([row.id])
    tasks.run_executions.call_local([row.id])
    row = reload(row)
    assert row.attempt == 1 and len(row.attempts) == 1 and len(_logs(row.id)) == 1


def test_slot_not_yet_due_is_not_claimed_early(app):
    row = make_execution(make_job(), scheduled_for=db_now() + timedelta(seconds=30))
    tasks.run_executions.call_local([row.id])
    assert reload(row).status == "pending"
    assert row.id in _queued()  # put back on the schedule for its time


def test_paused_job_slot_is_skipped_but_manual_run_goes(app):
    job = make_job(status="paused")
    slot = make_execution(job)
    manual = make_execution(job, trigger="manual")
    tasks.run_executions.call_local([slot.id, manual.id])
    slot, manual = reload(slot), reload(manual)
    assert (slot.status, slot.reason, slot.attempt) == ("skipped", "paused", 0)
    assert manual.status == "succeeded"


def test_stale_slot_is_cancelled(app):
    job = make_job()
    row = make_execution(job, job_version=job.version - 1 if job.version > 1 else 0)
    tasks.run_executions.call_local([row.id])
    row = reload(row)
    assert (row.status, row.reason) == ("cancelled", "stale")


def test_a_slot_planned_before_a_non_schedule_edit_still_runs(app):
    # Version 3 of the definition, whose schedule last changed at version 2: a slot planned at
    # version 2 was planned under the current schedule and runs; one planned at version 1 is stale.
    job = make_job(version=3, schedule_version=2)
    current = make_execution(job, job_version=2)
    older = make_execution(job, job_version=1, scheduled_for=db_now() - timedelta(seconds=2))
    tasks.run_executions.call_local([current.id, older.id])
    assert reload(current).status == "succeeded"
    assert (reload(older).status, reload(older).reason) == ("cancelled", "stale")


def test_forbid_overlap_skips_while_previous_runs(app):
    job = make_job(overlap_policy="forbid")
    make_execution(
        job,
        status="running",
        attempt=1,
        scheduled_for=db_now() - timedelta(seconds=60),
        lease_expires_at=db_now() + timedelta(seconds=60),
    )
    row = make_execution(job)
    tasks.run_executions.call_local([row.id])
    row = reload(row)
    assert (row.status, row.reason) == ("skipped", "overlap")


def test_replace_overlap_cancels_the_running_one_and_refuses_its_late_write(app):
    job = make_job(overlap_policy="replace")
    old = make_execution(job, scheduled_for=db_now() - timedelta(seconds=60))
    # The old run is claimed (as its worker would) and is still going...
    (old_attempt,), jobs = executor.claim_executions([old.id], db_now())
    policies = {job.id: executor.job_policy(jobs[job.id])}
    db.session.commit()
    new = make_execution(job)
    tasks.run_executions.call_local([new.id])
    assert (reload(new).status, reload(old).status, reload(old).reason) == (
        "succeeded",
        "cancelled",
        "replaced",
    )
    # ...and when it finally reports, its write is refused.
    old_attempt.outcome, old_attempt.finished_at = Outcome(ok=True), db_now()
    tasks.queue_followups(executor.record_attempts([old_attempt], policies, db_now()))
    assert reload(old).status == "cancelled"


def test_late_write_from_an_old_attempt_is_refused(app):
    row = make_execution(make_job())
    (attempt,), jobs = executor.claim_executions([row.id], db_now())
    policies = {k: executor.job_policy(v) for k, v in jobs.items()}
    db.session.commit()
    # Meanwhile the attempt was given up on and a new one started (attempt 2).
    db.session.execute(update(Execution).where(Execution.id == row.id).values(attempt=2))
    db.session.commit()
    attempt.outcome, attempt.finished_at = Outcome(ok=False, error="late"), db_now()
    tasks.queue_followups(executor.record_attempts([attempt], policies, db_now()))
    row = reload(row)
    assert (row.status, row.attempt, row.error, row.attempts) == ("running", 2, None, [])


def test_failure_is_retried_after_the_backoff(app):
    job = make_job(handler="flaky", payload={"failures": 5}, max_retries=3, retry_backoff_seconds=[7, 11])
    row = make_execution(job)
    tasks.run_executions.call_local([row.id])
    row = reload(row)
    assert (row.status, row.attempt, row.error) == ("retrying", 1, "planned failure 1")
    first_finished = row.attempts[0]["finished_at"]
    assert (
        row.next_attempt_at.isoformat()
        == (executor.datetime.fromisoformat(first_finished) + timedelta(seconds=7)).isoformat()
    )
    assert row.id in _queued()
    # The second attempt waits 11 s (the last backoff step is reused from then on).
    db.session.execute(update(Execution).where(Execution.id == row.id).values(next_attempt_at=db_now()))
    db.session.commit()
    tasks.run_executions.call_local([row.id])
    row = reload(row)
    assert (row.status, row.attempt) == ("retrying", 2)
    delay = row.next_attempt_at - executor.datetime.fromisoformat(row.attempts[1]["finished_at"])
    assert delay == timedelta(seconds=11)
    assert reload(job).last_status is None  # a retrying run is not a finished run


def test_retry_after_is_honoured_within_the_cap(app, monkeypatch):
    monkeypatch.setitem(app.config, "RETRY_AFTER_CAP_SECONDS", 30)
    short = make_execution(make_job(handler="asks_to_wait", payload={"retry_after": 4}))
    long = make_execution(make_job(handler="asks_to_wait", payload={"retry_after": 5000}))
    tasks.run_executions.call_local([short.id, long.id])
    for row, delay in ((short, 4), (long, 30)):
        row = reload(row)
        finished = executor.datetime.fromisoformat(row.attempts[0]["finished_at"])
        assert row.status == "retrying" and row.next_attempt_at - finished == timedelta(seconds=delay)


def test_final_failure_is_not_retried_and_is_notified(app):
    job = make_job(handler="refuses", max_retries=3)
    row = make_execution(job)
    tasks.run_executions.call_local([row.id])
    row = reload(row)
    assert (row.status, row.attempt, row.error) == ("failed", 1, "HTTP 404 Not Found")
    assert reload(job).last_status == "failed"
    notices = [t for t in huey.pending() if t.name.endswith("deliver_notifications")]
    assert [(t.args[0], t.args[1]) for t in notices] == [(row.id, "failure")]


def test_http_404_from_a_real_target_is_final(app, receiver, monkeypatch):
    monkeypatch.setitem(app.config, "HTTP_ALLOWLIST", ["127.0.0.1"])
    job = make_job(handler="http", target={"url": f"{receiver.url}/status/404", "method": "POST"})
    row = make_execution(job)
    tasks.run_executions.call_local([row.id])
    row = reload(row)
    assert (row.status, row.attempt) == ("failed", 1)
    assert row.result["http_status"] == 404 and row.attempts[0]["http_status"] == 404
    (request,) = receiver.matching("/status/404")
    assert request.headers["X-Chronos-Execution-Id"] == str(row.id)
    assert request.headers["X-Chronos-Attempt"] == "1"


def test_attempts_run_out_then_failed(app):
    job = make_job(handler="flaky", payload={"failures": 9}, max_retries=1)
    row = make_execution(job)
    tasks.run_executions.call_local([row.id])
    db.session.execute(update(Execution).where(Execution.id == row.id).values(next_attempt_at=db_now()))
    db.session.commit()
    tasks.run_executions.call_local([row.id])
    row = reload(row)
    assert (row.status, row.attempt, [a["status"] for a in row.attempts]) == (
        "failed",
        2,
        ["failed", "failed"],
    )


def test_success_after_failure_is_a_recovery(app):
    job = make_job(last_status="failed")
    row = make_execution(job)
    tasks.run_executions.call_local([row.id])
    notices = [(t.args[0], t.args[1]) for t in huey.pending() if t.name.endswith("deliver_notifications")]
    assert notices == [(row.id, "recovery")]


def test_one_time_job_completes_when_its_firing_ends(app):
    run_at = db_now() - timedelta(seconds=1)
    job = make_job(schedule_type="once", run_at=run_at, interval_seconds=None)
    row = make_execution(job, scheduled_for=run_at)
    tasks.run_executions.call_local([row.id])
    assert reload(job).status == "completed"


def test_manual_trigger_creates_and_queues_a_pending_execution(app):
    job = make_job()
    execution = tasks.trigger_manual(job)
    assert (execution.trigger, execution.status, execution.job_id) == ("manual", "pending", job.id)
    assert execution.id in _queued()
    # Manual runs are outside the slot index: two at once are fine.
    assert tasks.trigger_manual(job).id != execution.id


def test_expired_lease_gives_the_slot_back_and_a_slot_that_keeps_killing_workers_fails(app):
    job = make_job(max_retries=0)
    row = make_execution(
        job,
        status="running",
        attempt=1,
        started_at=db_now() - timedelta(seconds=60),
        lease_expires_at=db_now() - timedelta(seconds=1),
        worker="gone:1",
    )
    assert tasks.sync_now().expired == 1
    row = reload(row)
    # Whether the dead worker's call left is unknown: the slot runs again, even with no retries.
    assert (row.status, row.attempt, row.lease_expires_at) == ("pending", 1, None)
    assert row.attempts == [dict(row.attempts[0], status="interrupted")]
    assert LEASE_EXPIRED in row.attempts[0]["error"]
    assert row.id in _queued()
    assert any(LEASE_EXPIRED in line.message for line in _logs(row.id))
    # A slot whose every attempt loses its worker ends as failed: nothing runs (or stays) forever.
    for attempt in range(2, 5):
        db.session.execute(
            update(Execution)
            .where(Execution.id == row.id)
            .values(status="running", attempt=attempt, lease_expires_at=db_now() - timedelta(seconds=1))
        )
        db.session.commit()
        tasks.sync_now()
    row = reload(row)
    assert (row.status, row.error) == ("failed", LEASE_EXPIRED)
    assert [a["status"] for a in row.attempts] == ["interrupted"] * 3 + ["failed"]


def test_a_slot_given_back_after_an_outage_obeys_the_misfire_policy(app):
    # Claimed (a moment early) by a consumer that died with the slot still ahead; found long after.
    job = make_job(misfire_policy="skip")
    row = make_execution(
        job,
        scheduled_for=db_now() - timedelta(seconds=300),
        status="running",
        attempt=1,
        lease_expires_at=db_now() - timedelta(seconds=1),
        worker="gone:1",
    )
    tasks.sync_now()
    tasks.run_executions.call_local([row.id])
    row = reload(row)
    assert (row.status, row.reason) == ("skipped", "missed")


def test_the_safety_sync_requeues_due_rows_nobody_claimed(app):
    job = make_job()
    lost = make_execution(job, scheduled_for=db_now() - timedelta(seconds=60))
    retry = make_execution(
        job,
        scheduled_for=db_now() - timedelta(seconds=120),
        status="retrying",
        attempt=1,
        next_attempt_at=db_now() - timedelta(seconds=30),
    )
    fresh = make_execution(job, scheduled_for=db_now() + timedelta(seconds=30))
    assert tasks.sync_now().requeued == 2
    assert set(_queued()) == {lost.id, retry.id} and fresh.id not in _queued()


def test_put_back_hands_running_executions_to_another_consumer(app):
    row = make_execution(make_job())
    (_attempt,), _jobs = executor.claim_executions([row.id], db_now())
    db.session.commit()
    assert tasks.put_back(executor.worker_name) == [row.id]
    row = reload(row)
    assert (row.status, row.attempt, row.attempts[0]["status"]) == ("pending", 1, "interrupted")
    assert row.id in _queued()
    tasks.run_executions.call_local([row.id])
    assert (reload(row).status, reload(row).attempt) == ("succeeded", 2)


@pytest.mark.parametrize("count", [250])
def test_large_batch_is_claimed_and_recorded_together(app, count):
    job_rows = [make_execution(make_job(name=f"j{i}")) for i in range(count)]
    tasks.run_executions.call_local([r.id for r in job_rows])
    db.session.expire_all()
    statuses = db.session.scalars(select(Execution.status)).all()
    assert statuses.count("succeeded") == count


def test_a_task_also_takes_the_other_slots_of_its_instant(app):
    instant = db_now() - timedelta(seconds=1)
    rows = [make_execution(make_job(name=f"burst {i}"), scheduled_for=instant) for i in range(3)]
    other_instant = make_execution(make_job(), scheduled_for=instant - timedelta(seconds=5))
    # Jobs planned one by one arrive as one task each; the first to run takes the whole instant.
    tasks.run_executions.call_local([rows[0].id])
    assert [reload(r).status for r in rows] == ["succeeded"] * 3
    assert reload(other_instant).status == "pending"
    tasks.run_executions.call_local([rows[1].id])  # the later task finds nothing left
    assert reload(rows[1]).attempt == 1


def test_engine_runs_on_the_embedded_sqlite_default(sqlite_app, redis):
    """Plan, claim, run and record on SQLite: the same statements, minus row locks."""
    from tests.conftest import _clean

    _clean(sqlite_app)
    with sqlite_app.app_context():
        due = db_now() - timedelta(seconds=1)
        job = make_job(next_run_at=due, interval_seconds=3600)
        flaky = make_job(handler="flaky", payload={"failures": 1}, next_run_at=due, interval_seconds=3600)
        assert tasks.plan_now() == 2
        assert tasks.plan_now() == 0
        ids = sorted(_queued())
        tasks.run_executions.call_local(ids)
        rows = {r.job_id: r for r in db.session.scalars(select(Execution))}
        assert rows[job.id].status == "succeeded" and rows[flaky.id].status == "retrying"
        assert len(_logs(rows[job.id].id)) == 1
        db.session.remove()


def test_job_deleted_while_its_call_runs_leaves_nothing_behind(app):
    from chronos.models import Job

    kept, gone = make_job(name="kept"), make_job(name="gone")
    rows = [make_execution(kept), make_execution(gone)]
    gone_id = rows[1].id
    claimed, jobs = executor.claim_executions([r.id for r in rows], db_now())
    policies = {k: executor.job_policy(v) for k, v in jobs.items()}
    db.session.commit()
    db.session.delete(db.session.get(Job, gone.id))
    db.session.commit()
    for attempt in claimed:
        attempt.outcome, attempt.finished_at = Outcome(ok=True), db_now()
        attempt.log("info", "done", None)
    tasks.queue_followups(executor.record_attempts(claimed, policies, db_now()))
    assert reload(rows[0]).status == "succeeded" and len(_logs(rows[0].id)) == 1
    assert db.session.get(Execution, gone_id) is None
