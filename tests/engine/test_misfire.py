"""Slots planned before an outage and claimed long after their time: the job's misfire policy decides,
at the claim, whether any of them runs — never a burst of late runs."""
from __future__ import annotations

from datetime import timedelta

from chronos import tasks
from chronos.models import db_now
from tests.factories import make_execution, make_job, reload


def _late_slots(job, *seconds_ago: int):
    now = db_now()
    return [make_execution(job, scheduled_for=now - timedelta(seconds=s)) for s in seconds_ago]


def test_missed_slots_of_a_skip_job_all_become_skipped(app):
    job = make_job(interval_seconds=10, misfire_policy="skip")
    rows = _late_slots(job, 150, 140, 130, 90)
    tasks.run_executions.call_local([r.id for r in rows])
    for row in map(reload, rows):
        assert (row.status, row.reason, row.attempt) == ("skipped", "missed", 0)
        assert row.started_at is None
    assert reload(job).last_run_at is None


def test_only_the_newest_missed_slot_of_a_run_once_job_runs_as_catch_up(app):
    job = make_job(interval_seconds=10, misfire_policy="run_once")
    rows = _late_slots(job, 150, 140, 130, 90)
    tasks.run_executions.call_local([r.id for r in rows])
    *older, newest = map(reload, rows)
    assert [(r.status, r.reason) for r in older] == [("skipped", "missed")] * 3
    assert (newest.status, newest.trigger, newest.attempt) == ("succeeded", "catch_up", 1)


def test_older_missed_slots_delivered_after_the_catch_up_ran_do_not_run(app):
    job = make_job(interval_seconds=10, misfire_policy="run_once")
    older, newest = _late_slots(job, 150, 90)
    tasks.run_executions.call_local([newest.id])
    tasks.run_executions.call_local([older.id])
    assert reload(newest).status == "succeeded"
    assert (reload(older).status, reload(older).reason) == ("skipped", "missed")


def test_the_planners_catch_up_slot_is_the_one_that_runs(app):
    # Slots planned before the outage, then the planner's one catch-up row for what it never planned.
    job = make_job(interval_seconds=10, misfire_policy="run_once")
    planned = _late_slots(job, 200, 190, 180)
    catch_up = make_execution(job, scheduled_for=db_now() - timedelta(seconds=70), trigger="catch_up")
    tasks.run_executions.call_local([r.id for r in planned] + [catch_up.id])
    assert {reload(r).status for r in planned} == {"skipped"}
    assert reload(catch_up).status == "succeeded"


def test_a_slot_late_within_the_grace_is_not_missed(app):
    job = make_job(interval_seconds=10, misfire_policy="skip")
    (row,) = _late_slots(job, app.config["MISFIRE_GRACE_SECONDS"] - 15)
    tasks.run_executions.call_local([row.id])
    assert (reload(row).status, reload(row).trigger) == ("succeeded", "schedule")


def test_manual_runs_and_retries_are_never_missed(app):
    job = make_job(interval_seconds=10, misfire_policy="skip")
    manual = make_execution(job, trigger="manual", scheduled_for=db_now() - timedelta(seconds=600))
    retry = make_execution(job, status="retrying", attempt=1, scheduled_for=db_now() - timedelta(seconds=600),
                           next_attempt_at=db_now() - timedelta(seconds=1))
    tasks.run_executions.call_local([manual.id, retry.id])
    assert reload(manual).status == "succeeded"
    assert (reload(retry).status, reload(retry).attempt) == ("succeeded", 2)
