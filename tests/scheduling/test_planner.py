"""The planner on real PostgreSQL: exactly the slots, idempotent, concurrent-safe, misfires."""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from chronos import tasks
from chronos.extensions import db, huey
from chronos.models import Execution, Job, db_now
from chronos.scheduling.lifecycle import schedule_job
from chronos.tasks import plan_now
from tests.factories import make_job, reload


def _executions(job_id: int | None = None) -> list[Execution]:
    db.session.expire_all()
    query = select(Execution).order_by(Execution.scheduled_for, Execution.id)
    if job_id is not None:
        query = query.where(Execution.job_id == job_id)
    return list(db.session.scalars(query))


def _queued_ids() -> list[int]:
    return sorted(i for task in huey.pending() for i in task.args[0])


def test_interval_job_gets_exactly_the_slots_up_to_the_horizon(app, monkeypatch):
    monkeypatch.setitem(app.config, "PLANNER_LOOKAHEAD_SECONDS", 90)
    now = db_now()
    job = make_job(interval_seconds=20, next_run_at=now + timedelta(seconds=5))
    assert plan_now() == 5  # +5, +25, +45, +65, +85
    rows = _executions(job.id)
    assert [r.scheduled_for for r in rows] == [now + timedelta(seconds=5 + 20 * k) for k in range(5)]
    assert {r.status for r in rows} == {"pending"} and {r.trigger for r in rows} == {"schedule"}
    job = reload(job)
    assert job.next_run_at == now + timedelta(seconds=105)
    assert job.planned_until == now + timedelta(seconds=85)
    assert _queued_ids() == sorted(r.id for r in rows)
    # One task per dispatch window, put on the schedule a moment before the window opens.
    window = app.config["DISPATCH_WINDOW_SECONDS"]
    first = min(huey.pending(), key=lambda task: task.eta)
    opens = math.floor(rows[0].scheduled_for.timestamp() / window) * window
    assert first.args == ([rows[0].id], opens)
    assert first.eta == (datetime.fromtimestamp(opens, UTC) - tasks.ENQUEUE_EARLY).replace(tzinfo=None)


def test_cron_job_slots_follow_the_expression(app, monkeypatch):
    monkeypatch.setitem(app.config, "PLANNER_LOOKAHEAD_SECONDS", 90)
    now = db_now()
    job = make_job(schedule_type="cron", cron_expression="*/30 * * * * *", interval_seconds=None)
    schedule_job(job, now)
    db.session.commit()
    plan_now()
    slots = [r.scheduled_for for r in _executions(job.id)]
    assert 3 <= len(slots) <= 4
    assert all(s.second in (0, 30) and s.microsecond == 0 for s in slots)
    assert all(now < s <= now + timedelta(seconds=90) for s in slots)


def test_planning_twice_inserts_nothing_more(app):
    now = db_now()
    job = make_job(interval_seconds=30, next_run_at=now + timedelta(seconds=1))
    first = plan_now()
    assert first == 3
    assert plan_now() == 0
    # Even if next_run_at is wound back (a planner racing an old snapshot), no slot is doubled.
    db.session.execute(Job.__table__.update().values(next_run_at=now + timedelta(seconds=1)))
    db.session.commit()
    assert plan_now() == 0
    assert len(_executions(job.id)) == 3


def test_only_the_named_job_is_planned(app):
    now = db_now()
    one = make_job(next_run_at=now + timedelta(seconds=1))
    other = make_job(next_run_at=now + timedelta(seconds=1))
    plan_now(job_ids=[one.id])
    assert len(_executions(one.id)) == 2 and _executions(other.id) == []


def test_paused_and_future_jobs_are_not_planned(app):
    now = db_now()
    make_job(status="paused", next_run_at=now + timedelta(seconds=1))
    make_job(next_run_at=now + timedelta(seconds=600))
    assert plan_now() == 0


def test_one_time_job_gets_one_slot_and_no_next_run(app):
    run_at = db_now() + timedelta(seconds=3)
    job = make_job(schedule_type="once", run_at=run_at, next_run_at=run_at, interval_seconds=None)
    assert plan_now() == 1
    (row,) = _executions(job.id)
    assert row.scheduled_for == run_at and row.trigger == "schedule"
    job = reload(job)
    assert job.next_run_at is None and job.status == "active"


def test_two_planners_at_once_plan_each_slot_once(app):
    now = db_now()
    jobs = [make_job(interval_seconds=15, next_run_at=now + timedelta(seconds=1)) for _ in range(40)]
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def planner() -> None:
        with app.app_context():
            barrier.wait()
            counts.append(plan_now())
            db.session.remove()

    threads = [threading.Thread(target=planner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = _executions()
    per_job = {job.id: [r.scheduled_for for r in rows if r.job_id == job.id] for job in jobs}
    assert sum(counts) == len(rows) == 40 * 6
    assert all(len(slots) == len(set(slots)) == 6 for slots in per_job.values())
    assert len(_queued_ids()) == len(rows)


def test_missed_slots_run_once_as_catch_up_and_are_counted(app):
    now = db_now()
    # Down for 10 minutes: 10 slots of a 60 s interval were missed.
    first_missed = now - timedelta(seconds=600)
    job = make_job(interval_seconds=60, next_run_at=first_missed, misfire_policy="run_once")
    plan_now()
    rows = _executions(job.id)
    skipped = [r for r in rows if r.status == "skipped"]
    catch_up = [r for r in rows if r.trigger == "catch_up"]
    future = [r for r in rows if r.trigger == "schedule" and r.status == "pending"]
    assert len(skipped) == 1 and skipped[0].reason == "missed" and skipped[0].missed_count == 9
    assert skipped[0].scheduled_for == first_missed
    assert len(catch_up) == 1 and catch_up[0].scheduled_for == first_missed + timedelta(seconds=540)
    assert catch_up[0].status == "pending"
    # Then the regular slots from now on: no storm of one run per missed slot.
    assert len(future) == 2 and all(r.scheduled_for > now - timedelta(seconds=11) for r in future)
    assert catch_up[0].id in _queued_ids() and skipped[0].id not in _queued_ids()


def test_missed_slots_with_skip_policy_run_nothing_but_are_recorded(app):
    now = db_now()
    job = make_job(interval_seconds=60, next_run_at=now - timedelta(seconds=300), misfire_policy="skip")
    plan_now()
    rows = _executions(job.id)
    assert [(r.status, r.missed_count) for r in rows if r.status == "skipped"] == [("skipped", 5)]
    assert not [r for r in rows if r.trigger == "catch_up"]
    assert reload(job).next_run_at > now


def test_a_single_missed_slot_is_just_caught_up(app):
    now = db_now()
    job = make_job(interval_seconds=3600, next_run_at=now - timedelta(seconds=120))
    plan_now()
    rows = _executions(job.id)
    assert [(r.trigger, r.status) for r in rows] == [("catch_up", "pending")]


def test_slightly_late_slot_is_a_normal_slot(app):
    now = db_now()
    job = make_job(interval_seconds=3600, next_run_at=now - timedelta(seconds=2))
    plan_now()
    assert [(r.trigger, r.status) for r in _executions(job.id)] == [("schedule", "pending")]


def test_missed_one_time_job_with_skip_policy_completes(app):
    run_at = db_now() - timedelta(seconds=300)
    job = make_job(
        schedule_type="once", run_at=run_at, next_run_at=run_at, interval_seconds=None, misfire_policy="skip"
    )
    plan_now()
    rows = _executions(job.id)
    assert [(r.status, r.reason, r.missed_count) for r in rows] == [("skipped", "missed", 1)]
    assert reload(job).status == "completed"


def test_missed_cron_slots_are_counted(app):
    now = db_now().replace(microsecond=0)
    job = make_job(
        schedule_type="cron",
        cron_expression="* * * * * *",
        interval_seconds=None,
        next_run_at=now - timedelta(seconds=160),
        misfire_policy="skip",
    )
    plan_now()
    (skipped,) = [r for r in _executions(job.id) if r.status == "skipped"]
    # Every second from the first missed slot up to the misfire cut-off (the planner's now - grace).
    cutoff = skipped.finished_at - timedelta(seconds=app.config["MISFIRE_GRACE_SECONDS"])
    expected = math.ceil((cutoff - (now - timedelta(seconds=160))).total_seconds())
    assert expected >= 90 and skipped.missed_count == expected


def test_edit_drops_planned_slots_and_bumps_the_version(app):
    now = db_now()
    job = make_job(interval_seconds=30, next_run_at=now + timedelta(seconds=1))
    plan_now()
    assert len(_executions(job.id)) == 3
    job = reload(job)
    job.interval_seconds = 45
    schedule_job(job, db_now(), edited=True)
    db.session.commit()
    assert _executions(job.id) == [] and reload(job).version == 2
    plan_now()
    assert {r.job_version for r in _executions(job.id)} == {2}


def test_planning_uses_utc_instants(app):
    job = make_job(
        schedule_type="cron", cron_expression="0 9 * * *", timezone="Europe/Berlin", interval_seconds=None
    )
    schedule_job(job, datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    assert job.next_run_at == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def test_planning_requests_in_a_burst_share_one_task(app, monkeypatch):
    from chronos import tasks

    monkeypatch.setattr(tasks, "_planning_at", 0.0)
    for _ in range(50):
        tasks.request_planning()
    plans = [task for task in huey.pending() if task.name == "plan"]
    assert len(plans) == 1 and plans[0].eta is not None
    # Once that task's time is (nearly) here, the next request queues a new one.
    monkeypatch.setattr(tasks, "_planning_at", 0.0)
    tasks.request_planning()
    assert len([t for t in huey.pending() if t.name == "plan"]) == 2
