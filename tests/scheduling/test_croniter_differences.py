"""Where croniter 7 reads an expression wrongly, Chronos does not (docs/time.md lists each case).

Expected firings written by hand. 2026-03-01 is a Sunday; New York springs forward on 2026-03-08
(02:00 EST → 03:00 EDT at 07:00Z) and falls back on 2026-11-01 (02:00 EDT → 01:00 EST at 06:00Z);
Chatham springs forward on 2026-09-27 (02:45 → 03:45 at 2026-09-26T14:00Z).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chronos.scheduling.cron import cron_next
from chronos.scheduling.fields import parse_cron


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


CASES = [
    # croniter reads an equal range as the whole field: every minute, every day.
    ("5-5 * * * *", "UTC", "2026-03-08T00:00", ["2026-03-08T00:05", "2026-03-08T01:05", "2026-03-08T02:05"]),
    (
        "0 9 * * mon-mon",
        "UTC",
        "2026-03-08T00:00",
        ["2026-03-09T09:00", "2026-03-16T09:00", "2026-03-23T09:00"],
    ),
    (
        "0 0 1 jan-jan *",
        "UTC",
        "2026-03-08T00:00",
        ["2027-01-01T00:00", "2028-01-01T00:00", "2029-01-01T00:00"],
    ),
    # croniter loses or shifts the values after the wrap of a range with a step (22,2 and 6 alone).
    (
        "0 22-2/3 * * *",
        "UTC",
        "2026-03-08T00:00",
        ["2026-03-08T01:00", "2026-03-08T22:00", "2026-03-09T01:00"],
    ),
    (
        "0 0 * * 6-2/3",
        "UTC",
        "2026-03-01T00:00",
        ["2026-03-03T00:00", "2026-03-07T00:00", "2026-03-10T00:00"],
    ),
    # An hour field with * is all-day in a fold (both 01:xx fire) and, now, in a gap too: the
    # missing 02:00 is not a slot (croniter fired it at 03:00 EDT).
    (
        "0 */2 * * *",
        "America/New_York",
        "2026-03-08T04:30",
        ["2026-03-08T05:00", "2026-03-08T08:00", "2026-03-08T10:00"],
    ),
    # 0-23 is the whole day, like *: both 01:15s fire on the fall-back night (croniter: the first only).
    (
        "15 0-23 * * *",
        "America/New_York",
        "2026-11-01T04:30",
        ["2026-11-01T05:15", "2026-11-01T06:15", "2026-11-01T07:15"],
    ),
    # A missing time with seconds shifts to the first instant after the gap, not to its seconds past it.
    ("1 1 2 * * *", "America/New_York", "2026-03-07T12:00", ["2026-03-08T07:00:00", "2026-03-09T06:01:01"]),
    ("30 15 3 * * *", "Pacific/Chatham", "2026-09-26T00:00", ["2026-09-26T14:00:00", "2026-09-27T13:30:30"]),
]


@pytest.mark.parametrize("expression,zone,after,expected", CASES, ids=[f"{c[0]}@{c[1]}" for c in CASES])
def test_chronos_reads_these_as_written(expression, zone, after, expected):
    assert cron_next(expression, zone, utc(after), len(expected)) == [utc(text) for text in expected]


def test_random_fields_are_drawn_once_for_every_process():
    # croniter redraws R on every parse, so two planner passes disagreed on when the job runs.
    firings = set()
    for _ in range(5):
        parse_cron.cache_clear()
        firings.add(tuple(cron_next("R * * * *", "UTC", utc("2026-03-08T00:00"), 3)))
    assert len(firings) == 1
    (runs,) = firings
    assert [run.minute for run in runs] == [runs[0].minute] * 3
