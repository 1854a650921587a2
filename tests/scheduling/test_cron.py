"""Unit tests of scheduling/cron.py: validation, zones, and a hand-written DST table for 2026.

The expected instants below were worked out by hand from the 2026 transitions, not produced by the
code under test:

* America/New_York: spring forward Sun 2026-03-08 02:00 EST → 03:00 EDT (07:00Z);
  fall back Sun 2026-11-01 02:00 EDT → 01:00 EST (06:00Z). EST = UTC-5, EDT = UTC-4.
* Europe/Berlin: spring forward Sun 2026-03-29 02:00 CET → 03:00 CEST (01:00Z);
  fall back Sun 2026-10-25 03:00 CEST → 02:00 CET (01:00Z). CET = UTC+1, CEST = UTC+2.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from chronos.scheduling.cron import (
    ScheduleError,
    cron_next,
    interval_next,
    load_zone,
    next_firings,
    validate_cron,
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


DST_TABLE = [
    # (zone, expression, after (UTC), expected firings (UTC), what it shows)
    ("America/New_York", "30 1 * * *", "2026-10-31T12:00", ["2026-11-01T05:30", "2026-11-02T06:30"],
     "fall back: a fixed 01:30 fires once, at its first (EDT) occurrence"),
    ("America/New_York", "0 1 * * *", "2026-10-31T12:00", ["2026-11-01T05:00", "2026-11-02T06:00"],
     "fall back: 01:00 fires once"),
    ("America/New_York", "*/30 * * * *", "2026-11-01T04:45",
     ["2026-11-01T05:00", "2026-11-01T05:30", "2026-11-01T06:00", "2026-11-01T06:30", "2026-11-01T07:00"],
     "fall back: a wildcard hour fires at every real instant, both 01:00s and both 01:30s"),
    ("America/New_York", "0 * * * *", "2026-11-01T04:30",
     ["2026-11-01T05:00", "2026-11-01T06:00", "2026-11-01T07:00"],
     "fall back: hourly keeps a one-hour rhythm in real time"),
    ("America/New_York", "30 2 * * *", "2026-03-07T12:00", ["2026-03-08T07:00", "2026-03-09T06:30"],
     "spring forward: the missing 02:30 fires at 03:00 EDT, the next day at 02:30 EDT"),
    ("America/New_York", "0 2 * * *", "2026-03-07T12:00", ["2026-03-08T07:00", "2026-03-09T06:00"],
     "spring forward: the missing 02:00 fires at 03:00 EDT"),
    ("America/New_York", "*/30 * * * *", "2026-03-08T06:45", ["2026-03-08T07:00", "2026-03-08T07:30"],
     "spring forward: 02:00 and 02:30 do not exist; 03:00 fires once"),
    ("America/New_York", "0 12 * * *", "2026-03-07T12:00", ["2026-03-07T17:00", "2026-03-08T16:00"],
     "noon moves from 17:00Z to 16:00Z across spring forward"),
    ("America/New_York", "0 9 * * 1", "2026-10-25T00:00", ["2026-10-26T13:00", "2026-11-02T14:00"],
     "the seed's weekly Monday 09:00, across fall back"),
    ("Europe/Berlin", "30 2 * * *", "2026-03-27T12:00",
     ["2026-03-28T01:30", "2026-03-29T01:00", "2026-03-30T00:30"],
     "spring forward: the missing 02:30 fires at 03:00 CEST"),
    ("Europe/Berlin", "30 2 * * *", "2026-10-24T12:00", ["2026-10-25T00:30", "2026-10-26T01:30"],
     "fall back: 02:30 happens twice, fires once (CEST)"),
    ("Europe/Berlin", "0 3 * * *", "2026-10-23T12:00", ["2026-10-24T01:00", "2026-10-25T02:00"],
     "fall back: 03:00 CET exists once"),
    ("Europe/Berlin", "*/15 2 * * *", "2026-10-24T23:00",
     ["2026-10-25T00:00", "2026-10-25T00:15", "2026-10-25T00:30", "2026-10-25T00:45", "2026-10-26T01:00"],
     "fall back: a fixed hour 2 runs through its first occurrence only"),
    ("Europe/Berlin", "0 0 * * *", "2026-03-28T12:00", ["2026-03-28T23:00", "2026-03-29T22:00"],
     "midnight is not touched by the transition, but its UTC instant moves"),
    ("UTC", "0 9 * * 1", "2026-11-28T13:00", ["2026-11-30T09:00", "2026-12-07T09:00"],
     "UTC has no transitions"),
]


@pytest.mark.parametrize("zone,expression,after,expected,why", DST_TABLE,
                         ids=[f"{row[0]}:{row[1]}:{row[2]}" for row in DST_TABLE])
def test_dst_table(zone: str, expression: str, after: str, expected: list[str], why: str) -> None:
    firings = cron_next(expression, zone, utc(after), count=len(expected))
    assert [f.strftime("%Y-%m-%dT%H:%M") for f in firings] == expected, why
    assert all(f.tzinfo is not None and f.utcoffset() == timedelta(0) for f in firings)


def test_firings_are_strictly_after_the_start() -> None:
    start = utc("2026-11-30T09:00")
    assert cron_next("0 9 * * 1", "UTC", start)[0] == utc("2026-12-07T09:00")


def test_six_fields_put_seconds_first() -> None:
    firings = cron_next("*/15 * * * * *", "UTC", utc("2026-01-01T00:00"), count=3)
    assert firings == [utc("2026-01-01T00:00") + timedelta(seconds=s) for s in (15, 30, 45)]
    assert cron_next("30 0 9 * * 1", "UTC", utc("2026-11-28T00:00"))[0] == utc("2026-11-30T09:00:30")


@pytest.mark.parametrize("expression,normalised", [
    ("0 9 * * 1", "0 9 * * 1"),
    ("  0   9 * *   1 ", "0 9 * * 1"),
    ("@daily", "@daily"),
    ("@Weekly", "@weekly"),
    ("*/5 * * * *", "*/5 * * * *"),
    ("0 0 29 2 *", "0 0 29 2 *"),  # leap days exist (2028)
    ("0 0 9 * * 1-5", "0 0 9 * * 1-5"),
])
def test_valid_expressions(expression: str, normalised: str) -> None:
    assert validate_cron(expression) == normalised


@pytest.mark.parametrize("expression,words", [
    ("61 * * * *", "out of range"),
    ("* * *", "5 fields"),
    ("* * * * * * *", "5 fields"),
    ("", "required"),
    ("   ", "required"),
    ("bad", "5 fields"),
    ("*/0 * * * *", "out of range"),
    ("0 0 30 2 *", "never fires"),
    ("0 0 31 4 *", "never fires"),
    ("@fortnightly", "Unknown nickname"),
    ("0 24 * * *", "out of range"),
    ("0 0 * 13 *", "out of range"),
])
def test_invalid_expressions_say_why(expression: str, words: str) -> None:
    with pytest.raises(ScheduleError, match=words):
        validate_cron(expression)


@pytest.mark.parametrize("expression,message", [
    ("0 25 * * *", "hour: 25 is out of range 0–23."),
    ("61 * * * *", "minute: 61 is out of range 0–59."),
    ("0 0 0 * *", "day-of-month: 0 is out of range 1–31."),
    ("0 0 * 13 *", "month: 13 is out of range 1–12."),
    ("0 0 * * 8", "day-of-week: 8 is out of range 0–7."),
    ("0 0 * * MOX", "day-of-week: 'MOX' is not a day name (SUN–SAT)."),
    ("0 0 * FOO *", "month: 'FOO' is not a month name (JAN–DEC)."),
    ("*/0 * * * *", "minute: step 0 is out of range (a step is 1 or more)."),
    ("1,,2 * * * *", "minute: '1,,2' has an empty item in its list."),
    ("0 0 1-32/2 * *", "day-of-month: 32 is out of range 1–31."),
    ("0 x * * *", "hour: 'x' is not a number."),
    ("0 0 * * 1#9", "day-of-week: '1#9': the week after '#' must be 1–5."),
    # Six fields: the first is seconds, and the parts keep their names.
    ("75 0 9 * * 1", "second: 75 is out of range 0–59."),
    ("0 0 25 * * 1", "hour: 25 is out of range 0–23."),
])
def test_invalid_expression_names_the_part(expression: str, message: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        validate_cron(expression)
    assert str(raised.value) == message


@pytest.mark.parametrize("expression", ["0 9 * * MON-FRI", "0 0 L * *", "0 0 15W * *", "0 0 * * 5#3",
                                        "0 0 ? * *", "0 23-1 * * *", "*/90 * * * *", "0 0 * JAN,jul *"])
def test_what_croniter_accepts_stays_valid(expression: str) -> None:
    assert validate_cron(expression) == expression


def test_validate_cron_refuses_non_strings() -> None:
    with pytest.raises(ScheduleError):
        validate_cron(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata"])
def test_known_zones_load(name: str) -> None:
    assert load_zone(name).key == name


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", " UTC", "../../etc/passwd", "Europe/", 42])
def test_unknown_zones_are_refused(name: object) -> None:
    with pytest.raises(ScheduleError, match="Unknown time zone"):
        load_zone(name)  # type: ignore[arg-type]


def test_interval_steps_in_elapsed_time_across_dst() -> None:
    # An hourly interval across New York's fall back is one real hour apart each time.
    anchor = utc("2026-11-01T04:00")
    firings = interval_next(anchor, 3600, utc("2026-11-01T04:30"), count=3)
    assert firings == [utc("2026-11-01T05:00"), utc("2026-11-01T06:00"), utc("2026-11-01T07:00")]


def test_interval_before_its_anchor_starts_at_the_anchor() -> None:
    anchor = utc("2026-01-01T00:00")
    assert interval_next(anchor, 60, utc("2025-12-31T00:00"), count=2) == [anchor, anchor + timedelta(minutes=1)]


def test_next_firings_by_schedule_type() -> None:
    now = utc("2026-06-01T00:00")
    cron = SimpleNamespace(schedule_type="cron", cron_expression="0 9 * * *", timezone="Europe/Berlin")
    assert next_firings(cron, now) == [utc("2026-06-01T07:00")]
    interval = SimpleNamespace(schedule_type="interval", interval_seconds=90, next_run_at=None)
    assert next_firings(interval, now, 2) == [now + timedelta(seconds=90), now + timedelta(seconds=180)]
    once = SimpleNamespace(schedule_type="once", run_at=utc("2026-06-02T00:00"))
    assert next_firings(once, now) == [utc("2026-06-02T00:00")]
    assert next_firings(once, utc("2026-06-03T00:00")) == []
    with pytest.raises(ScheduleError):
        next_firings(SimpleNamespace(schedule_type="sometimes"), now)
