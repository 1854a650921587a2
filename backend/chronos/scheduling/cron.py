"""Pure time-zone math for schedules: validation and the next firings of cron, interval and once.

The API validates with these functions and the planner plans with them, so both agree on what a
valid schedule is and when it fires.

DST rules (the same as Vixie cron's):

* Fall back: a local time that happens twice (01:30 on 2026-11-01 in America/New_York) fires once,
  at its first occurrence, for an expression with a fixed hour. An expression whose hour field is a
  wildcard (``*/30 * * * *``) fires at every real instant, as an interval would.
* Spring forward: a local time that does not exist (02:30 on 2026-03-08 in America/New_York) fires
  at the first instant after the gap (03:00 local), so the day's run is never lost.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import CroniterError, croniter

NICKNAMES = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
# A cron expression that matches nothing within this many years is refused as impossible.
_SEARCH_YEARS = 5


class ScheduleError(ValueError):
    """A schedule that cannot fire: the message says why, in words for the user."""


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone of that name, or ScheduleError."""
    if not isinstance(name, str) or not name or name != name.strip():
        raise ScheduleError(f"Unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin'.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError):
        raise ScheduleError(f"Unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin'.")


def is_known_zone(name: str) -> bool:
    return name in _ZONES


_ZONES = available_timezones() | {"UTC"}


def _croniter(expression: str, start: datetime) -> croniter:
    fields = expression.split()
    # A sixth field is seconds, first as in Quartz and cronstrue (croniter's default puts it last).
    return croniter(expression, start, second_at_beginning=len(fields) == 6)


def validate_cron(expression: str) -> str:
    """The expression normalised (single spaces), or ScheduleError saying what is wrong."""
    if not isinstance(expression, str) or not expression.strip():
        raise ScheduleError("A cron expression is required, e.g. '0 9 * * 1'.")
    normalised = " ".join(expression.split())
    fields = normalised.split(" ")
    if normalised.startswith("@"):
        if normalised.lower() not in NICKNAMES:
            raise ScheduleError(
                f"Unknown nickname {normalised!r}; use one of {', '.join(sorted(NICKNAMES))}.")
        return normalised.lower()
    if len(fields) not in (5, 6):
        raise ScheduleError(
            f"A cron expression has 5 fields (minute hour day-of-month month day-of-week), "
            f"or 6 with seconds first; got {len(fields)}.")
    seconds_first = len(fields) == 6
    try:
        valid = croniter.is_valid(normalised, second_at_beginning=seconds_first)
        # strict=True also refuses day/month pairs that never occur ('0 0 30 2 *'): well-formed,
        # but the user needs to hear "never fires", not "malformed".
        possible = valid and croniter.is_valid(normalised, strict=True, second_at_beginning=seconds_first)
    except (CroniterError, ValueError, TypeError, KeyError, IndexError):
        valid = possible = False
    if not valid:
        raise ScheduleError(f"Invalid cron expression {normalised!r}: a field is out of range or malformed.")
    if not possible:
        raise ScheduleError(f"Cron expression {normalised!r} never fires: that day never occurs in that month.")
    # Possible in principle; make sure it fires within the search horizon too.
    start = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        first = _croniter(normalised, start).get_next(datetime)
    except (CroniterError, ValueError, OverflowError):
        raise ScheduleError(f"Cron expression {normalised!r} never fires.")
    if first - start > timedelta(days=366 * _SEARCH_YEARS):
        raise ScheduleError(f"Cron expression {normalised!r} never fires.")
    return normalised


def _fixed_hour(expression: str) -> bool:
    """True when the hour field names fixed hours (fall-back repeats are dropped for these)."""
    fields = expression.split()
    if expression.startswith("@"):
        return expression != "@hourly"
    hour = fields[1] if len(fields) == 5 else fields[2]
    return "*" not in hour


def cron_next(expression: str, zone_name: str, after: datetime, count: int = 1) -> list[datetime]:
    """The next `count` firings strictly after `after`, as aware UTC datetimes."""
    zone = load_zone(zone_name)
    fixed_hour = _fixed_hour(expression)
    # croniter walks local wall-clock time, so it starts from `after` expressed in the job's zone.
    iterator = _croniter(expression, after.astimezone(zone))
    results: list[datetime] = []
    last = after.astimezone(UTC)
    while len(results) < count:
        try:
            local = iterator.get_next(datetime)
        except (CroniterError, ValueError, OverflowError):
            break
        # croniter marks the second occurrence of a repeated local time with fold=1.
        if fixed_hour and local.fold == 1 and _is_ambiguous(local, zone):
            continue
        instant = local.astimezone(UTC)
        # Two nonexistent local times (02:00 and 02:30 on a spring-forward day) map to the same
        # instant after the gap: fire it once.
        if instant <= last:
            continue
        results.append(instant)
        last = instant
    return results


def _is_ambiguous(local: datetime, zone: ZoneInfo) -> bool:
    naive = local.replace(tzinfo=None)
    first = naive.replace(tzinfo=zone, fold=0).utcoffset()
    second = naive.replace(tzinfo=zone, fold=1).utcoffset()
    return first != second and local.utcoffset() == second


def interval_next(anchor: datetime, interval_seconds: int, after: datetime, count: int = 1) -> list[datetime]:
    """The next `count` instants anchor + k·interval strictly after `after` (elapsed time, no DST)."""
    step = timedelta(seconds=interval_seconds)
    if after < anchor:
        first = anchor
    else:
        k = int((after - anchor) / step) + 1
        first = anchor + k * step
    return [first + i * step for i in range(count)]


def next_firings(job: Any, after: datetime, count: int = 1) -> list[datetime]:
    """The next `count` firings of a job (anything with the Job schedule fields) after `after`."""
    schedule_type = job.schedule_type
    if schedule_type == "cron":
        return cron_next(job.cron_expression, job.timezone or "UTC", after, count)
    if schedule_type == "interval":
        seconds = int(job.interval_seconds)
        # Interval slots step from the job's current next_run_at; a new or resumed job starts
        # one interval from now.
        anchor = getattr(job, "next_run_at", None) or after + timedelta(seconds=seconds)
        return interval_next(anchor, seconds, after, count)
    if schedule_type == "once":
        run_at = job.run_at
        return [run_at] if run_at is not None and run_at > after else []
    raise ScheduleError(f"Unknown schedule type {schedule_type!r}.")
