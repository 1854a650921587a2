"""Golden table: expressions → next firings, written by hand.

If a croniter upgrade (or a change of ours) moves any of these, this test fails before users' schedules
silently move. Start: Sat 2026-11-28 10:17:30 UTC unless the row says otherwise. Times are UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chronos.scheduling.cron import cron_next

START = datetime(2026, 11, 28, 10, 17, 30, tzinfo=UTC)

GOLDEN = [
    # expression, zone, next three firings (UTC)
    ("* * * * *", "UTC", ["2026-11-28T10:18", "2026-11-28T10:19", "2026-11-28T10:20"]),
    ("*/5 * * * *", "UTC", ["2026-11-28T10:20", "2026-11-28T10:25", "2026-11-28T10:30"]),
    ("0 * * * *", "UTC", ["2026-11-28T11:00", "2026-11-28T12:00", "2026-11-28T13:00"]),
    ("15,45 9-17 * * *", "UTC", ["2026-11-28T10:45", "2026-11-28T11:15", "2026-11-28T11:45"]),
    ("30 1 * * *", "UTC", ["2026-11-29T01:30", "2026-11-30T01:30", "2026-12-01T01:30"]),
    # Monday 09:00: the seed's example. 2026-11-30 is a Monday.
    ("0 9 * * 1", "UTC", ["2026-11-30T09:00", "2026-12-07T09:00", "2026-12-14T09:00"]),
    ("0 9 * * MON-FRI", "UTC", ["2026-11-30T09:00", "2026-12-01T09:00", "2026-12-02T09:00"]),
    ("0 9 * * 1-5", "Europe/Berlin", ["2026-11-30T08:00", "2026-12-01T08:00", "2026-12-02T08:00"]),
    ("0 9 * * 0", "America/New_York", ["2026-11-29T14:00", "2026-12-06T14:00", "2026-12-13T14:00"]),
    ("0 0 1 * *", "UTC", ["2026-12-01T00:00", "2027-01-01T00:00", "2027-02-01T00:00"]),
    ("0 0 31 * *", "UTC", ["2026-12-31T00:00", "2027-01-31T00:00", "2027-03-31T00:00"]),
    ("0 12 29 2 *", "UTC", ["2028-02-29T12:00", "2032-02-29T12:00", "2036-02-29T12:00"]),
    ("0 0 1 1 *", "Asia/Tokyo", ["2026-12-31T15:00", "2027-12-31T15:00", "2028-12-31T15:00"]),
    ("@hourly", "UTC", ["2026-11-28T11:00", "2026-11-28T12:00", "2026-11-28T13:00"]),
    ("@daily", "Australia/Sydney", ["2026-11-28T13:00", "2026-11-29T13:00", "2026-11-30T13:00"]),
    ("@weekly", "UTC", ["2026-11-29T00:00", "2026-12-06T00:00", "2026-12-13T00:00"]),
    ("@monthly", "UTC", ["2026-12-01T00:00", "2027-01-01T00:00", "2027-02-01T00:00"]),
    ("@yearly", "UTC", ["2027-01-01T00:00", "2028-01-01T00:00", "2029-01-01T00:00"]),
    # India is UTC+05:30 all year: half-hour offsets survive.
    ("0 9 * * *", "Asia/Kolkata", ["2026-11-29T03:30", "2026-11-30T03:30", "2026-12-01T03:30"]),
    # croniter 7: "59/15" means minute 59 only (it used to mean every 15 minutes from 59).
    ("59/15 * * * *", "UTC", ["2026-11-28T10:59", "2026-11-28T11:59", "2026-11-28T12:59"]),
    # Seconds first in six fields.
    ("*/20 * * * * *", "UTC", ["2026-11-28T10:17:40", "2026-11-28T10:18:00", "2026-11-28T10:18:20"]),
    ("0 30 10 * * *", "UTC", ["2026-11-28T10:30", "2026-11-29T10:30", "2026-11-30T10:30"]),
]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize("expression,zone,expected", GOLDEN, ids=[f"{r[0]}@{r[1]}" for r in GOLDEN])
def test_golden_next_firings(expression: str, zone: str, expected: list[str]) -> None:
    assert cron_next(expression, zone, START, 3) == [_utc(t) for t in expected]
