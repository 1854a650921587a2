"""Property: for random expressions, zones, start instants and DST policies, `cron_runs` gives exactly
the runs of a brute-force walk over every minute (every second) in UTC (tests/scheduling/cron_reference.py).

What is generated, and how it is kept fast (2,000 cases in `make test`, the same ones on every run,
about 20 s; CHRONOS_TIME_CASES=20000 — part of `make fuzz` — draws new ones for the long run):

* zones: a third from the eight hard zones and a few with historic oddities (a skipped day in
  Pacific/Apia and Pacific/Kwajalein, midnight transitions in America/Sao_Paulo, a two-hour DST in
  Antarctica/Troll), most from zones that observe DST today, some from every zone zoneinfo has;
* start instants: a random moment between 1976 and 2058 (every zone's offset is whole minutes
  then), usually moved to minutes, hours or a day or so before the zone's following transition,
  so the runs compared reach it;
* expressions: numbers, names, *, ?, lists, ranges (wrapping ones too), steps and macros, five
  fields or six with seconds first; hour, day, month and weekday values lean towards the local
  time of that transition, so repeated and missing wall times are hit;
* the window: runs in the two days after the start (two hours for seconds expressions), at
  most 12 — the reference walks that window minute by minute (second by second).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chronos.scheduling.cron import DstPolicy, ScheduleError, cron_runs, validate_cron

from .cron_reference import reference_runs

CI_CASES = 2000
CASES = int(os.environ.get("CHRONOS_TIME_CASES") or CI_CASES)
# CI replays the same cases on every run (a red build means the code changed, not the dice); a
# longer run draws new ones each time, which is how it finds the next counterexample.
LONG_RUN = CASES > CI_CASES
RUNS = 40
HARD_ZONES = [
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "Africa/Casablanca",
    "Pacific/Apia",
    "Pacific/Kwajalein",
    "America/Sao_Paulo",
    "Antarctica/Troll",
    "Asia/Tehran",
    "Europe/Dublin",
    "America/Havana",
]
ALL_ZONES = sorted(available_timezones())


def _observes_dst(name: str) -> bool:
    zone = ZoneInfo(name)
    return datetime(2026, 1, 15, tzinfo=zone).utcoffset() != datetime(2026, 7, 15, tzinfo=zone).utcoffset()


DST_ZONES = [name for name in ALL_ZONES if _observes_dst(name)]
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
MACROS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]
BOUNDS = {
    "second": (0, 59),
    "minute": (0, 59),
    "hour": (0, 23),
    "day": (1, 31),
    "month": (1, 12),
    "weekday": (0, 6),
}


def next_transition(zone: ZoneInfo, moment: datetime) -> datetime | None:
    """The zone's first offset change within 400 days after `moment` (day steps, then bisection)."""
    offset = moment.astimezone(zone).utcoffset()
    day = moment
    for _ in range(400):
        following = day + timedelta(days=1)
        if following.astimezone(zone).utcoffset() != offset:
            low, high = int(day.timestamp()), int(following.timestamp())
            while high - low > 1:
                middle = (low + high) // 2
                if datetime.fromtimestamp(middle, zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            return datetime.fromtimestamp(high, UTC)
        day = following
    return None


def _written(value: int, field: str, draw: st.DrawFn) -> str:
    if field == "month" and draw(st.booleans()):
        return MONTHS[value - 1]
    if field == "weekday":
        if value == 0 and draw(st.booleans()):
            return "7"
        if draw(st.booleans()):
            return DAYS[value]
    return str(value)


@st.composite
def field_text(draw: st.DrawFn, field: str, near: list[int], star_weight: int) -> str:
    """One field: * most of the time for the day fields, otherwise values near `near`."""
    low, high = BOUNDS[field]
    kind = draw(st.integers(0, 99))
    if kind < star_weight:
        return "?" if field in ("day", "weekday") and draw(st.integers(0, 9)) == 0 else "*"

    def value() -> int:
        if near and draw(st.integers(0, 2)):
            return draw(st.sampled_from(near))
        return draw(st.integers(low, high))

    def item() -> str:
        shape = draw(st.integers(0, 9))
        if shape <= 3:
            return _written(value(), field, draw)
        if shape <= 5:
            first, last = sorted([value(), value()])
            step = f"/{draw(st.integers(1, 4))}" if draw(st.booleans()) else ""
            return f"{_written(first, field, draw)}-{_written(last, field, draw)}{step}"
        if shape == 6:
            return f"*/{draw(st.integers(1, max(2, (high - low) // 2)))}"
        if shape == 7:
            return f"{_written(value(), field, draw)}/{draw(st.integers(1, 10))}"
        if shape == 8:
            # A range that wraps past the top of the field.
            first, last = sorted([value(), value()])
            step = f"/{draw(st.integers(1, 3))}" if draw(st.booleans()) else ""
            return f"{_written(last, field, draw)}-{_written(first, field, draw)}{step}"
        first = value()
        return f"{first}-{first}"  # an equal range is that one value

    count = draw(st.integers(1, 3))
    return ",".join(item() for _ in range(count))


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, datetime, str, str, str, datetime]:
    pick = draw(st.integers(0, 9))
    if pick < 3:
        zone_name = draw(st.sampled_from(HARD_ZONES))
    elif pick < 8:
        zone_name = draw(st.sampled_from(DST_ZONES))
    else:
        zone_name = draw(st.sampled_from(ALL_ZONES))
    zone = ZoneInfo(zone_name)
    with_seconds = draw(st.integers(0, 4)) == 0
    moment = datetime(draw(st.integers(1976, 2058)), 1, 1, tzinfo=UTC) + timedelta(
        seconds=draw(st.integers(0, 365 * 86400))
    )
    transition = next_transition(zone, moment) if draw(st.integers(0, 9)) < 8 else None
    if transition is None:
        start = moment
    else:
        # Close before the transition for dense expressions (12 runs of `* * * * *` last 12 minutes),
        # further for sparse ones.
        # (Mostly before it: Hypothesis favours the ends of a range and small numbers.)
        scales = [60, 900, 5400] if with_seconds else [900, 3 * 3600, 36 * 3600]
        seconds = draw(st.integers(1, draw(st.sampled_from(scales))))
        start = transition + timedelta(seconds=-seconds if draw(st.integers(0, 9)) < 8 else seconds // 6)
    start += timedelta(microseconds=draw(st.sampled_from([0, 0, 1, 500_000])))
    focus = transition or start
    before = (focus - timedelta(seconds=1)).astimezone(zone)
    at = focus.astimezone(zone)
    hours = sorted({before.hour, (before.hour + 1) % 24, at.hour})
    minutes = sorted({0, 30, at.minute, (before.minute + 1) % 60})
    days = sorted({before.day, at.day})
    weekdays = sorted({(before.weekday() + 1) % 7, (at.weekday() + 1) % 7})
    months = sorted({before.month, at.month})
    if not with_seconds and draw(st.integers(0, 19)) == 0:
        expression = draw(st.sampled_from(MACROS))
    else:
        parts = [
            draw(field_text("minute", minutes, 15)),
            draw(field_text("hour", hours, 25)),
            draw(field_text("day", days, 70)),
            draw(field_text("month", months, 70)),
            draw(field_text("weekday", weekdays, 70)),
        ]
        if with_seconds:
            parts.insert(0, draw(field_text("second", [0, 30, at.second], 20)))
        expression = " ".join(parts)
    fold = draw(st.sampled_from(["first", "last", "both"]))
    gap = draw(st.sampled_from(["shift", "skip"]))
    until = start + (timedelta(hours=2) if with_seconds else timedelta(days=2))
    return zone_name, start, expression, fold, gap, until


def _valid(expression: str) -> bool:
    try:
        validate_cron(expression)
    except ScheduleError:
        return False
    return True


@settings(
    max_examples=CASES,
    deadline=None,
    derandomize=not LONG_RUN,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(cases())
def test_runs_equal_a_minute_by_minute_walk_in_utc(
    case: tuple[str, datetime, str, str, str, datetime],
) -> None:
    zone_name, start, expression, fold, gap, until = case
    if not _valid(expression):
        # Some random combinations never fire ('0 0 31 2 *'): validation refuses those, as the API does.
        return
    expected = reference_runs(expression, zone_name, start, until, fold, gap)[:RUNS]
    actual = []
    for run in cron_runs(expression, zone_name, start, DstPolicy(fold, gap)):
        if run.slot >= until or len(actual) == RUNS:
            break
        actual.append(
            (
                run.slot,
                run.wall,
                run.fires_at is not None,
                run.dst,
                run.offset_before,
                run.offset_after,
                run.skipped,
            )
        )
    assert actual == expected, (expression, zone_name, start.isoformat(), fold, gap)
