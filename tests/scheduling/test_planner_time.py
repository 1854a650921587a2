"""The planner with DST policies, calendars and jitter, on PostgreSQL and SQLite: skips on record
(never silent), moved runs, one row per instant, re-planning after an edit, several planners."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from chronos.extensions import db
from chronos.models import Calendar, Execution, Workspace, db_now
from chronos.scheduling import lifecycle
from chronos.scheduling.cron import jitter_offset
from chronos.scheduling.exclusions import built_calendars
from chronos.scheduling.planner import MAX_SLOTS_PER_JOB, plan_due_jobs, plan_job_slots
from tests.factories import make_job, make_user, reload

YEAR = 400 * 24 * 3600
BERLIN = ZoneInfo("Europe/Berlin")


def _rows(job_id: int) -> list[Execution]:
    db.session.expire_all()
    statement = select(Execution).where(Execution.job_id == job_id).order_by(Execution.scheduled_for)
    return list(db.session.scalars(statement))


def _calendar(owner_id: int, **fields) -> Calendar:
    """A calendar in the user's personal workspace (where their jobs are)."""
    workspace_id = db.session.scalar(select(Workspace.id).where(Workspace.personal_for == owner_id))
    calendar = Calendar(
        workspace_id=workspace_id, **{"name": "Closed", "dates": [], "weekends": False, **fields}
    )
    db.session.add(calendar)
    db.session.commit()
    return calendar


def _cron_job(owner, expression: str, zone: str = "UTC", **fields):
    job = make_job(
        owner,
        schedule_type="cron",
        cron_expression=expression,
        interval_seconds=None,
        timezone=zone,
        **fields,
    )
    lifecycle.schedule_job(job, db_now())
    db.session.commit()
    return job


def _next_weekday(weekday: int) -> date:
    """The next such weekday (0 = Monday) at least two days from today (UTC)."""
    day = datetime.now(UTC).date() + timedelta(days=2)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), UTC)


def test_gap_skip_and_fold_both_become_rows(any_app, monkeypatch):
    monkeypatch.setitem(any_app.config, "PLANNER_LOOKAHEAD_SECONDS", YEAR)
    owner = make_user()
    gap = _cron_job(owner, "30 2 * * *", "America/New_York", dst_policy={"fold": "first", "gap": "skip"})
    fold = _cron_job(owner, "30 1 * * *", "America/New_York", dst_policy={"fold": "both", "gap": "shift"})
    plan_due_jobs()
    spring = [r for r in _rows(gap.id) if r.scheduled_for.date() == date(2027, 3, 14)]
    assert [(r.scheduled_for, r.status, r.reason) for r in spring] == [
        (datetime(2027, 3, 14, 7, 0, tzinfo=UTC), "skipped", "dst_gap")
    ]
    autumn = [r for r in _rows(fold.id) if r.scheduled_for.date() == date(2027, 11, 7)]
    assert [(r.scheduled_for.hour, r.status) for r in autumn] == [(5, "pending"), (6, "pending")]


def test_excluded_days_are_skipped_on_record_once_however_often_and_by_however_many_planners(
    any_app, monkeypatch
):
    monkeypatch.setitem(any_app.config, "PLANNER_LOOKAHEAD_SECONDS", 10 * 24 * 3600)
    owner = make_user()
    first = datetime.now(UTC).date() + timedelta(days=2)
    closed = _calendar(owner.id, dates=[first.isoformat(), (first + timedelta(days=1)).isoformat()])
    job = _cron_job(owner, "0 9 * * *", exclude_calendars=[closed.id])
    planners = 3 if db.engine.dialect.name == "postgresql" else 1
    barrier = threading.Barrier(planners)

    def planner() -> None:
        with any_app.app_context():
            barrier.wait()
            plan_due_jobs()
            db.session.remove()

    threads = [threading.Thread(target=planner) for _ in range(planners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    plan_due_jobs()  # and once more: nothing new
    rows = _rows(job.id)
    by_day = {r.scheduled_for.date(): (r.status, r.reason) for r in rows}
    assert len(rows) == len(by_day)
    assert by_day[first] == by_day[first + timedelta(days=1)] == ("skipped", "calendar: Closed")
    assert by_day[first + timedelta(days=2)] == ("pending", None)
    assert sum(1 for status, _ in by_day.values() if status == "skipped") == 2


def test_next_business_day_moves_the_run_and_a_collision_runs_once(any_app, monkeypatch):
    monkeypatch.setitem(any_app.config, "PLANNER_LOOKAHEAD_SECONDS", 12 * 24 * 3600)
    owner = make_user()
    weekends = _calendar(owner.id, name="Weekends", weekends=True)
    saturday = _next_weekday(5)
    only_saturdays = _cron_job(
        owner, "0 7 * * 6", exclude_calendars=[weekends.id], on_excluded="next_business_day"
    )
    daily = _cron_job(owner, "0 9 * * *", exclude_calendars=[weekends.id], on_excluded="next_business_day")
    plan_due_jobs()
    rows = {r.scheduled_for: (r.status, r.reason) for r in _rows(only_saturdays.id)}
    # Saturday's run moves to Monday (the moved run is its record).
    assert _at(saturday, 7) not in rows
    assert rows[_at(saturday + timedelta(days=2), 7)] == ("pending", None)
    # The planner's cursor moves on past the excluded slot it came from.
    assert reload(only_saturdays).planned_until >= _at(saturday, 7)
    # Saturday's and Sunday's 09:00 would move onto Monday's own 09:00: one instant, one run.
    daily_rows = {r.scheduled_for: (r.status, r.reason) for r in _rows(daily.id)}
    assert (
        daily_rows[_at(saturday, 9)]
        == daily_rows[_at(saturday + timedelta(days=1), 9)]
        == (
            "skipped",
            "calendar: Weekends",
        )
    )
    assert daily_rows[_at(saturday + timedelta(days=2), 9)] == ("pending", None)
    assert len([r for r in _rows(daily.id) if r.scheduled_for.date() == saturday + timedelta(days=2)]) == 1


def test_planning_pass_by_pass_gives_the_rows_of_one_pass(any_app):
    """The cursor: moved runs from excluded days before it are not lost between passes."""
    owner = make_user()
    weekends = _calendar(owner.id, name="Weekends", weekends=True)
    holiday = _calendar(owner.id, name="Bavaria", country="DE", subdivision="BY")
    start = datetime(2026, 12, 20, tzinfo=UTC)
    end = datetime(2027, 1, 20, tzinfo=UTC)
    built = built_calendars([weekends.id, holiday.id])
    for expression, on_excluded, jitter in (
        ("0 7 * * 6", "next_business_day", 0),
        ("0 */6 * * *", "next_business_day", 600),
        ("30 9 * * 1-5", "skip", 120),
    ):
        fields = {
            "id": 7,
            "owner_id": owner.id,
            "workspace_id": weekends.workspace_id,
            "version": 1,
            "status": "active",
            "schedule_type": "cron",
            "cron_expression": expression,
            "interval_seconds": None,
            "run_at": None,
            "timezone": "Europe/Berlin",
            "misfire_policy": "run_once",
            "dst_policy": {"fold": "first", "gap": "shift"},
            "exclude_calendars": [weekends.id, holiday.id],
            "on_excluded": on_excluded,
            "jitter_seconds": jitter,
        }
        whole = _passes(fields, built, start, end, timedelta(days=40))
        stepped = _passes(fields, built, start, end, timedelta(hours=5))
        assert stepped == whole and len(whole) >= 5, expression
        # Christmas, New Year and Epiphany fall in the range: each run that day is skipped or moved.
        local_days = {at.astimezone(BERLIN).date(): status for at, (status, _) in whole.items()}
        assert (
            local_days.get(date(2026, 12, 25)) != "pending" and local_days.get(date(2027, 1, 6)) != "pending"
        )
        if on_excluded == "skip":
            assert ("skipped", "calendar: Bavaria") in whole.values()


def _passes(fields, built, start, end, step) -> dict[datetime, tuple[str, str | None]]:
    job = SimpleNamespace(**fields, planned_until=start, next_run_at=start + timedelta(days=1))
    rows: dict[datetime, tuple[str, str | None]] = {}
    now = start
    while now < end:
        horizon = min(now + step, end)
        plan = plan_job_slots(job, now, horizon, built)
        for row in plan.rows:
            rows.setdefault(
                row["scheduled_for"], (row["status"], row.get("reason"))
            )  # ON CONFLICT DO NOTHING
        job.planned_until, job.next_run_at = plan.planned_until, plan.next_run_at
        now = horizon
    return rows


def test_jitter_moves_the_firing_instant_the_same_way_on_every_pass(any_app, monkeypatch):
    monkeypatch.setitem(any_app.config, "PLANNER_LOOKAHEAD_SECONDS", 3 * 24 * 3600)
    owner = make_user()
    job = _cron_job(owner, "0 9 * * *", jitter_seconds=1800)
    first = reload(job).next_run_at
    plan_due_jobs()
    rows = _rows(job.id)
    assert rows[0].scheduled_for == first
    for row in rows:
        slot = row.scheduled_for.replace(minute=0, second=0)
        assert row.scheduled_for == slot + timedelta(seconds=jitter_offset(job.id, slot, 1800))
    assert len({r.scheduled_for.second + 60 * r.scheduled_for.minute for r in rows}) > 1


def test_an_edit_replans_future_skips_so_no_real_run_is_lost(any_app, monkeypatch):
    monkeypatch.setitem(any_app.config, "PLANNER_LOOKAHEAD_SECONDS", 5 * 24 * 3600)
    owner = make_user()
    day = datetime.now(UTC).date() + timedelta(days=2)
    closed = _calendar(owner.id, dates=[day.isoformat()])
    job = _cron_job(owner, "0 9 * * *", exclude_calendars=[closed.id])
    plan_due_jobs()
    assert {r.scheduled_for: r.status for r in _rows(job.id)}[_at(day, 9)] == "skipped"
    job = reload(job)
    lifecycle.edit(
        job,
        {**{n: getattr(job, n) for n in lifecycle.SCHEDULE_FIELDS}, "exclude_calendars": []},
        ["exclude_calendars"],
        None,
        db_now(),
    )
    db.session.commit()
    plan_due_jobs()
    rows = _rows(job.id)
    assert {r.scheduled_for: r.status for r in rows}[_at(day, 9)] == "pending"
    assert len(rows) == len({r.scheduled_for for r in rows})


@pytest.mark.parametrize("misfire_policy", ["run_once", "skip"])
def test_an_outage_counts_missed_runs_and_keeps_calendar_skips(any_app, monkeypatch, misfire_policy):
    monkeypatch.setitem(any_app.config, "PLANNER_LOOKAHEAD_SECONDS", 60)
    owner = make_user()
    now = db_now()
    yesterday = now.date() - timedelta(days=1)
    closed = _calendar(owner.id, dates=[yesterday.isoformat()])
    job = make_job(
        owner,
        schedule_type="cron",
        cron_expression="0 * * * *",
        interval_seconds=None,
        exclude_calendars=[closed.id],
        misfire_policy=misfire_policy,
        planned_until=datetime.combine(yesterday - timedelta(days=1), time(), UTC),
        next_run_at=datetime.combine(yesterday - timedelta(days=1), time(1), UTC),
    )
    plan_due_jobs()
    rows = _rows(job.id)
    calendar_skips = [r for r in rows if r.reason == "calendar: Closed"]
    assert len(calendar_skips) == 24 and {r.scheduled_for.date() for r in calendar_skips} == {yesterday}
    missed = [r for r in rows if r.reason == "missed"]
    fired_slots = 23 + now.hour + (1 if now.minute or now.second else 0)  # the day before, and today
    expected = fired_slots - 1 if misfire_policy == "run_once" else fired_slots
    assert missed[0].missed_count in (expected, expected - 1)
    assert (len([r for r in rows if r.trigger == "catch_up"]) == 1) == (misfire_policy == "run_once")


def test_a_long_excluded_stretch_never_leaves_a_job_without_a_next_run(any_app, monkeypatch):
    monkeypatch.setitem(any_app.config, "PLANNER_LOOKAHEAD_SECONDS", 60)
    owner = make_user()
    today = datetime.now(UTC).date()
    closed = _calendar(owner.id, dates=[(today + timedelta(days=n)).isoformat() for n in range(4)])
    # A minutely job: its first run is the first minute after the closed days.
    minutely = _cron_job(owner, "* * * * *", exclude_calendars=[closed.id])
    assert reload(minutely).next_run_at == _at(today + timedelta(days=4), 0)
    # An every-second job: more skipped runs than one search looks at; the planner is due at the
    # last one looked at, records the skips (a thousand a pass), and looks further then.
    every_second = _cron_job(owner, "* * * * * *", exclude_calendars=[closed.id])
    due = reload(every_second).next_run_at
    assert due is not None and due < _at(today + timedelta(days=4), 0)
    monkeypatch.setitem(any_app.config, "PLANNER_LOOKAHEAD_SECONDS", 4 * 3600)
    plan_due_jobs([every_second.id])
    assert len(_rows(every_second.id)) == MAX_SLOTS_PER_JOB
    after_one = reload(every_second).next_run_at
    assert after_one <= db_now() + timedelta(hours=4)  # due again at once
    plan_due_jobs([every_second.id])
    rows = _rows(every_second.id)
    assert len(rows) == 2 * MAX_SLOTS_PER_JOB == len({r.scheduled_for for r in rows})
    assert {(r.status, r.reason) for r in rows} == {("skipped", "calendar: Closed")}
    # No second is left out between the passes.
    assert rows[-1].scheduled_for - rows[0].scheduled_for == timedelta(seconds=len(rows) - 1)
