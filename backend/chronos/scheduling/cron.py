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

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cron_descriptor import Options, get_description
from croniter import CroniterError, croniter

NICKNAMES = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
# A cron expression that matches nothing within this many years is refused as impossible.
_SEARCH_YEARS = 5


class ScheduleError(ValueError):
    """A schedule that cannot fire: the message says why, in words for the user."""


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone of that name, or ScheduleError."""
    if not isinstance(name, str) or not name or name != name.strip():
        raise ScheduleError(
            f"Unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin'."
        ) from None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError):
        raise ScheduleError(
            f"Unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin'."
        ) from None


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
                f"Unknown nickname {normalised!r}; use one of {', '.join(sorted(NICKNAMES))}."
            )
        return normalised.lower()
    if len(fields) not in (5, 6):
        raise ScheduleError(
            f"A cron expression has 5 fields (minute hour day-of-month month day-of-week), "
            f"or 6 with seconds first; got {len(fields)}."
        )
    seconds_first = len(fields) == 6
    try:
        valid = croniter.is_valid(normalised, second_at_beginning=seconds_first)
        # strict=True also refuses day/month pairs that never occur ('0 0 30 2 *'): well-formed,
        # but the user needs to hear "never fires", not "malformed".
        possible = valid and croniter.is_valid(normalised, strict=True, second_at_beginning=seconds_first)
    except (CroniterError, ValueError, TypeError, KeyError, IndexError):
        valid = possible = False
    if not valid:
        # croniter decides what is valid; the diagnosis only names the part it refused.
        raise ScheduleError(
            field_problem(fields)
            or f"Invalid cron expression {normalised!r}: a field is out of range or malformed."
        )
    if not possible:
        raise ScheduleError(
            f"Cron expression {normalised!r} never fires: that day never occurs in that month."
        )
    # Possible in principle; make sure it fires within the search horizon too.
    start = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        first = _croniter(normalised, start).get_next(datetime)
    except (CroniterError, ValueError, OverflowError):
        raise ScheduleError(f"Cron expression {normalised!r} never fires.") from None
    if first - start > timedelta(days=366 * _SEARCH_YEARS):
        raise ScheduleError(f"Cron expression {normalised!r} never fires.")
    return normalised


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # JAN..DEC or SUN..SAT, numbered from `low`
    noun: str = ""
    extra: frozenset[str] = frozenset()  # special words croniter accepts in this field


_SECOND = _Field("second", 0, 59)
_FIVE = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31, extra=frozenset({"?", "L"})),
    _Field(
        "month",
        1,
        12,
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
        "a month name (JAN–DEC)",
    ),
    _Field(
        "day-of-week",
        0,
        7,
        ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"),
        "a day name (SUN–SAT)",
        frozenset({"?"}),
    ),
)


def field_problem(fields: list[str]) -> str | None:
    """The first part of a 5- or 6-field expression that is wrong, in words ("hour: 25 is out of
    range 0–23"), as crontab.guru says it; None when no single part can be blamed."""
    layout = (_SECOND, *_FIVE) if len(fields) == 6 else _FIVE
    for spec, text in zip(layout, fields, strict=False):
        problem = _part_problem(spec, text)
        if problem:
            return f"{spec.name}: {problem}"
    return None


def _part_problem(spec: _Field, text: str) -> str | None:
    for item in text.split(","):
        if not item:
            return f"{text!r} has an empty item in its list."
        base, slash, step = item.partition("/")
        if slash:
            if not step.isdigit():
                return (
                    f"step {step!r} in {item!r} is not a number."
                    if step
                    else f"{item!r} has no step after '/'."
                )
            if int(step) == 0:
                return "step 0 is out of range (a step is 1 or more)."
        if slash and not base:
            return f"{item!r} has nothing before '/'."
        if base == "*" or base.upper() in spec.extra:
            continue
        if spec.name == "day-of-week" and "#" in base:
            day, _, nth = base.partition("#")
            problem = _value_problem(spec, day)
            if problem:
                return problem
            if not nth.isdigit() or not 1 <= int(nth) <= 5:
                return f"{base!r}: the week after '#' must be 1–5."
            continue
        if spec.name == "day-of-month" and base.upper().endswith("W") and base[:-1].isdigit():
            base = base[:-1]
        bounds = base.split("-")
        if len(bounds) > 2:
            return f"{item!r} is not a number, a range (a-b) or a step (*/n)."
        for bound in bounds:
            problem = _value_problem(spec, bound)
            if problem:
                return problem
    return None


def _value_problem(spec: _Field, value: str) -> str | None:
    if value.isdigit():
        number = int(value)
        if not spec.low <= number <= spec.high:
            return f"{number} is out of range {spec.low}–{spec.high}."
        return None
    if value.upper() in spec.names:
        return None
    if value.isalpha() and spec.names:
        return f"{value!r} is not {spec.noun}."
    if not value:
        return "a range needs a number on each side of '-'."
    return f"{value!r} is not a number."


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


# --- in words ----------------------------------------------------------------------------------


def format_time(value: datetime | None, zone: ZoneInfo) -> str:
    """'Mon 07 Dec 2026 09:00:00 EST (UTC-05:00)' in the job's zone; '—' for no time."""
    if value is None:
        return "—"
    local = value.astimezone(zone)
    offset = int((local.utcoffset() or timedelta()).total_seconds()) // 60
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset), 60)
    return f"{local:%a %d %b %Y %H:%M:%S} {local.tzname()} (UTC{sign}{hours:02d}:{minutes:02d})"


def zone_or_utc(name: str | None) -> ZoneInfo:
    """The zone of that name, or UTC for one gone from tzdata since the job was saved."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):  # a zone gone from tzdata since the job was saved
        return ZoneInfo("UTC")


_NICKNAMES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


def describe_schedule(job: Any) -> str:
    """The job's schedule in words: 'At 09:00, only on Monday (Europe/Berlin)', 'Every 5 minutes'."""
    zone = job.timezone or "UTC"
    if job.schedule_type == "cron" and job.cron_expression:
        expression = _NICKNAMES.get(job.cron_expression.strip().lower(), job.cron_expression)
        try:
            options = Options()
            options.use_24hour_time_format = True
            words = get_description(expression, options)
        except Exception:  # noqa: BLE001 (an expression the describer cannot read: show it as written)
            words = f"Cron {job.cron_expression}"
        return f"{words} ({zone}) — cron {job.cron_expression}"
    if job.schedule_type == "interval" and job.interval_seconds:
        return f"Every {_duration(job.interval_seconds)}"
    if job.schedule_type == "once":
        return f"Once, at {format_time(job.run_at, zone_or_utc(zone))}"
    return str(job.schedule_type)


def _duration(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return unit if count == 1 else f"{count} {unit}s"
    return "second" if seconds == 1 else f"{seconds} seconds"
