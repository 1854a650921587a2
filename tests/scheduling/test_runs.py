"""upcoming_runs, the one entry point: calendars (skip, next_business_day and its collisions), DST
markers on moved runs, the other schedule types, and the words the editor shows for each run.

Dates used: 2026-12-05 is a Saturday, 2026-12-25 a Friday (Christmas), 2026-12-26 a Saturday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import islice
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chronos.scheduling.calendars import build_calendar
from chronos.scheduling.cron import (
    DstPolicy,
    Run,
    Schedule,
    ScheduleError,
    cron_runs,
    describe_run,
    upcoming_runs,
)

WEEKENDS = build_calendar({"name": "Weekends", "weekends": True})
GERMANY = build_calendar({"name": "Germany", "country": "DE"})
BERLIN = ZoneInfo("Europe/Berlin")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def take(schedule: Schedule, after: str, count: int) -> list[Run]:
    return list(islice(upcoming_runs(schedule, utc(after)), count))


def summary(runs: list[Run]) -> list[tuple]:
    return [(run.slot.strftime("%a %m-%d %H:%M"), run.fires_at is not None, run.skipped) for run in runs]


def test_excluded_days_are_skipped_with_the_calendar_named():
    schedule = Schedule(cron_expression="0 9 * * *", timezone="Europe/Berlin", calendars=(GERMANY,))
    runs = take(schedule, "2026-12-23T12:00", 5)
    assert summary(runs) == [
        ("Thu 12-24 08:00", True, None),
        ("Fri 12-25 08:00", False, "calendar: Germany"),
        ("Sat 12-26 08:00", False, "calendar: Germany"),
        ("Sun 12-27 08:00", True, None),
        ("Mon 12-28 08:00", True, None),
    ]
    assert (runs[1].calendar, runs[1].reason) == ("Germany", "Christmas Day")
    assert describe_run(runs[1], BERLIN) == "Christmas Day (Germany): skipped"
    # The first calendar that excludes a day names it.
    both = Schedule(cron_expression="0 9 * * *", timezone="Europe/Berlin", calendars=(WEEKENDS, GERMANY))
    assert take(both, "2026-12-25T12:00", 1)[0].skipped == "calendar: Weekends"


def test_next_business_day_moves_a_slot_to_the_same_wall_time():
    # Saturdays at 09:00; weekends excluded: each Saturday runs on Monday at 09:00 instead.
    schedule = Schedule(
        cron_expression="0 9 * * 6",
        timezone="Europe/Berlin",
        calendars=(WEEKENDS,),
        on_excluded="next_business_day",
    )
    runs = take(schedule, "2026-12-01T00:00", 2)
    assert summary(runs) == [("Mon 12-07 08:00", True, None), ("Mon 12-14 08:00", True, None)]
    assert runs[0].wall == datetime(2026, 12, 7, 9, 0) and runs[0].moved_from == datetime(2026, 12, 5, 9, 0)
    assert describe_run(runs[0], BERLIN) == "Saturday (Weekends): moved from Sat 05 Dec"


def test_a_moved_slot_that_lands_on_an_own_slot_is_reported_skipped_and_fires_once():
    # Daily at 09:00: Saturday's and Sunday's slots would move onto Monday 09:00, which is already
    # a slot of the job. One instant is one slot: Monday fires once, the weekend is on record.
    schedule = Schedule(
        cron_expression="0 9 * * *",
        timezone="Europe/Berlin",
        calendars=(WEEKENDS,),
        on_excluded="next_business_day",
    )
    assert summary(take(schedule, "2026-12-04T12:00", 4)) == [
        ("Sat 12-05 08:00", False, "calendar: Weekends"),
        ("Sun 12-06 08:00", False, "calendar: Weekends"),
        ("Mon 12-07 08:00", True, None),
        ("Tue 12-08 08:00", True, None),
    ]


def test_two_moved_slots_on_one_instant_fire_once():
    # Saturdays and Sundays at 09:00: both move to Monday 09:00 (not a slot of the job); the first
    # move takes it, the second is reported skipped.
    schedule = Schedule(
        cron_expression="0 9 * * 0,6",
        timezone="Europe/Berlin",
        calendars=(WEEKENDS,),
        on_excluded="next_business_day",
    )
    runs = take(schedule, "2026-12-01T00:00", 3)
    assert summary(runs) == [
        ("Sun 12-06 08:00", False, "calendar: Weekends"),
        ("Mon 12-07 08:00", True, None),
        ("Sun 12-13 08:00", False, "calendar: Weekends"),
    ]
    assert runs[1].moved_from == datetime(2026, 12, 5, 9, 0)


def test_moved_runs_come_in_order_with_the_others():
    # Tuesdays and Saturdays at 07:00: Saturday's run moves to Monday, before Tuesday's.
    schedule = Schedule(
        cron_expression="0 7 * * 2,6", timezone="UTC", calendars=(WEEKENDS,), on_excluded="next_business_day"
    )
    runs = take(schedule, "2026-12-04T00:00", 4)
    assert summary(runs) == [
        ("Mon 12-07 07:00", True, None),
        ("Tue 12-08 07:00", True, None),
        ("Mon 12-14 07:00", True, None),
        ("Tue 12-15 07:00", True, None),
    ]
    # Christmas and Boxing Day (Fri, Sat) and the weekend: the next business day is Monday the 28th.
    both = Schedule(
        cron_expression="0 7 25 12 *",
        timezone="UTC",
        calendars=(GERMANY, WEEKENDS),
        on_excluded="next_business_day",
    )
    (run,) = take(both, "2026-12-01T00:00", 1)
    assert run.slot == utc("2026-12-28T07:00") and run.reason == "Christmas Day" and run.calendar == "Germany"


def test_a_slot_moved_onto_a_spring_forward_night_follows_the_dst_policy():
    # Saturday 2026-03-28 is excluded; 02:30 on Sunday the 29th does not exist in Berlin.
    saturday = build_calendar({"name": "Closed", "dates": ["2026-03-28"]})
    shifted = Schedule(
        cron_expression="30 2 * * 6",
        timezone="Europe/Berlin",
        calendars=(saturday,),
        on_excluded="next_business_day",
    )
    (run,) = take(shifted, "2026-03-27T00:00", 1)
    assert (run.slot, run.dst, run.skipped, run.moved_from) == (
        utc("2026-03-29T01:00"),
        "gap",
        None,
        datetime(2026, 3, 28, 2, 30),
    )
    assert describe_run(run, BERLIN) == (
        "excluded date (Closed): moved from Sat 28 Mar; 02:30 does not exist that night: runs at 03:00"
    )
    skipped = Schedule(
        cron_expression="30 2 * * 6",
        timezone="Europe/Berlin",
        calendars=(saturday,),
        on_excluded="next_business_day",
        dst_policy=DstPolicy(gap="skip"),
    )
    (run,) = take(skipped, "2026-03-27T00:00", 1)
    assert (run.fires_at, run.skipped) == (None, "dst_gap")


def test_a_dst_gap_slot_stays_skipped_for_its_own_reason_on_an_excluded_day():
    schedule = Schedule(
        cron_expression="30 2 * * *",
        timezone="Europe/Berlin",
        calendars=(WEEKENDS,),
        dst_policy=DstPolicy(gap="skip"),
    )
    (run,) = take(schedule, "2026-03-28T12:00", 1)  # Sunday 29 March, 02:30 does not exist
    assert run.skipped == "dst_gap"


def test_no_business_day_within_a_year_means_skipped():
    every_day = build_calendar(
        {"name": "Closed", "dates": [(date(2026, 12, 1) + timedelta(days=n)).isoformat() for n in range(400)]}
    )
    schedule = Schedule(cron_expression="0 9 * * *", calendars=(every_day,), on_excluded="next_business_day")
    assert all(run.skipped == "calendar: Closed" for run in take(schedule, "2026-12-01T00:00", 5))


def test_interval_and_once_schedules_honour_calendars():
    interval = Schedule(
        schedule_type="interval",
        interval_seconds=12 * 3600,
        anchor=utc("2026-12-04T00:00"),
        calendars=(WEEKENDS,),
    )
    assert summary(take(interval, "2026-12-04T00:00", 6)) == [
        ("Fri 12-04 12:00", True, None),
        ("Sat 12-05 00:00", False, "calendar: Weekends"),
        ("Sat 12-05 12:00", False, "calendar: Weekends"),
        ("Sun 12-06 00:00", False, "calendar: Weekends"),
        ("Sun 12-06 12:00", False, "calendar: Weekends"),
        ("Mon 12-07 00:00", True, None),
    ]
    # Moving an interval slot onto one of its own slots fires once.
    moving = Schedule(
        schedule_type="interval",
        interval_seconds=12 * 3600,
        anchor=utc("2026-12-04T00:00"),
        calendars=(WEEKENDS,),
        on_excluded="next_business_day",
    )
    runs = take(moving, "2026-12-04T00:00", 7)
    assert all(run.fires_at is None for run in runs[1:5]) and len({r.slot for r in runs if r.fires_at}) == 3
    once = Schedule(
        schedule_type="once",
        run_at=utc("2026-12-05T10:00"),
        calendars=(WEEKENDS,),
        on_excluded="next_business_day",
    )
    assert summary(take(once, "2026-12-01T00:00", 5)) == [("Mon 12-07 10:00", True, None)]
    assert take(once, "2026-12-08T00:00", 5) == []


def test_schedule_of_a_job_reads_the_fields_it_has():
    job = SimpleNamespace(
        id=9,
        schedule_type="cron",
        cron_expression="0 9 * * 1",
        interval_seconds=None,
        run_at=None,
        timezone="Europe/Berlin",
        next_run_at=None,
    )
    schedule = Schedule.of_job(job)
    assert (schedule.dst_policy, schedule.jitter_seconds, schedule.job_id) == (DstPolicy(), 0, 9)
    job.dst_policy, job.jitter_seconds = {"fold": "both", "gap": "skip"}, 30
    schedule = Schedule.of_job(job, calendars=[WEEKENDS], on_excluded="next_business_day")
    assert schedule.dst_policy == DstPolicy("both", "skip") and schedule.jitter_seconds == 30
    assert take(schedule, "2026-11-28T00:00", 1)[0].slot.date() == date(2026, 11, 30)


@pytest.mark.parametrize(
    "kwargs,words",
    [
        ({"on_excluded": "later"}, "on_excluded"),
        ({"jitter_seconds": -1}, "negative"),
        ({"dst_policy": {"fold": "middle"}}, "fold policy"),
        ({"dst_policy": {"gap": "jump"}}, "gap policy"),
    ],
)
def test_bad_schedules_say_why(kwargs, words):
    with pytest.raises(ScheduleError, match=words):
        if "dst_policy" in kwargs:
            DstPolicy.of(kwargs["dst_policy"])
        else:
            Schedule(cron_expression="* * * * *", **kwargs)


NY = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")


@pytest.mark.parametrize(
    "zone,expression,after,policy,notes",
    [
        (
            "America/New_York",
            "30 1 * * *",
            "2026-10-31T12:00",
            DstPolicy("first"),
            ["clocks go back that night: runs once, at the first 01:30", None],
        ),
        (
            "America/New_York",
            "30 1 * * *",
            "2026-10-31T12:00",
            DstPolicy("last"),
            ["clocks go back that night: runs once, at the second 01:30", None],
        ),
        (
            "America/New_York",
            "30 1 * * *",
            "2026-10-31T12:00",
            DstPolicy("both"),
            ["runs twice: at 01:30 EDT and 01:30 EST", "runs twice: at 01:30 EDT and 01:30 EST", None],
        ),
        (
            "America/New_York",
            "*/30 1 * * *",
            "2026-11-01T05:10",
            DstPolicy("both"),
            ["runs twice: at 01:30 EDT and 01:30 EST"]
            + ["runs twice: at 01:00 EDT and 01:00 EST"]
            + ["runs twice: at 01:30 EDT and 01:30 EST"],
        ),
        (
            "America/New_York",
            "30 2 * * *",
            "2026-03-07T12:00",
            DstPolicy(),
            ["02:30 does not exist that night: runs at 03:00", None],
        ),
        (
            "America/New_York",
            "30 2 * * *",
            "2026-03-07T12:00",
            DstPolicy(gap="skip"),
            ["02:30 does not exist that night: skipped", None],
        ),
        (
            "America/Santiago",
            "30 23 * * *",
            "2026-04-04T12:00",
            DstPolicy("both"),
            ["runs twice: at 23:30 UTC-03:00 and 23:30 UTC-04:00"] * 2 + [None],
        ),
        (
            "Pacific/Chatham",
            "30 15 3 * * *",
            "2026-09-26T00:00",
            DstPolicy(),
            ["03:15:30 does not exist that night: runs at 03:45", None],
        ),
    ],
)
def test_notes_describe_what_a_transition_does(zone, expression, after, policy, notes):
    runs = list(islice(cron_runs(expression, zone, utc(after), policy), len(notes)))
    assert [describe_run(run, ZoneInfo(zone)) for run in runs] == notes


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(
    expression=st.sampled_from(
        [
            "0 9 * * *",
            "30 2 * * *",
            "*/30 * * * *",
            "0 9 * * 1-5",
            "0 9,17 * * 0,6",
            "30 1 * * *",
            "0 0 1 * *",
        ]
    ),
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]),
    excluded=st.sets(st.integers(0, 60), max_size=30),
    weekends=st.booleans(),
    on_excluded=st.sampled_from(["skip", "next_business_day"]),
    fold=st.sampled_from(["first", "last", "both"]),
    gap=st.sampled_from(["shift", "skip"]),
    jitter=st.sampled_from([0, 0, 90, 7200]),
    start_day=st.integers(0, 700),
)
def test_every_run_once_in_order_and_never_on_an_excluded_day(
    expression, zone, excluded, weekends, on_excluded, fold, gap, jitter, start_day
):
    first_day = date(2026, 1, 1) + timedelta(days=start_day)
    calendar = build_calendar(
        {
            "name": "C",
            "weekends": weekends,
            "dates": [(first_day + timedelta(days=n)).isoformat() for n in excluded],
        }
    )
    schedule = Schedule(
        cron_expression=expression,
        timezone=zone,
        calendars=(calendar,),
        on_excluded=on_excluded,
        dst_policy=DstPolicy(fold, gap),
        jitter_seconds=jitter,
        job_id=1,
    )
    after = datetime.combine(first_day, datetime.min.time(), UTC)
    runs = list(islice(upcoming_runs(schedule, after), 60))
    local = ZoneInfo(zone)
    slots = [run.slot for run in runs]
    assert slots == sorted(slots) and all(slot > after for slot in slots)
    firing = [run for run in runs if run.fires_at is not None]
    assert len({run.slot for run in firing}) == len(firing)  # one instant, one slot
    fire_times = [run.fires_at for run in firing]
    assert fire_times == sorted(fire_times) and len(set(fire_times)) == len(fire_times)
    for run in firing:
        assert calendar.excludes(run.slot.astimezone(local).date()) is None
        assert run.slot <= run.fires_at <= run.slot + timedelta(seconds=jitter)
    for run in runs:
        if run.fires_at is None:
            assert run.skipped in ("dst_gap", "calendar: C")
        if run.moved_from is not None:
            assert run.moved_from.date() < run.wall.date() and run.wall.time() == run.moved_from.time()
