"""What a cron expression allows: the values of each field and which days match.

`parse_cron` turns an expression (already accepted by `cron.validate_cron`) into a `CronSpec` that
lists the wall-clock times it names, in order, with no time zone involved: `cron.py` maps those
wall times to instants and applies the DST policy.

croniter still validates, and expands the extensions it alone knows (`L`, `W`, `#`, `H`, `R`);
the plain syntax (numbers, names, `*`, `?`, ranges, steps, lists) is expanded here because
croniter 7 gets parts of it wrong (docs/time.md lists what and why):

* an equal range (`5-5`) is the whole field in croniter; here it is the one value;
* a range that wraps (`22-2/3`, `FRI-TUE/2`) with a step loses or shifts values in croniter;
  here it steps cyclically from its start (22, 1 — not 22, 2);
* `R` (random) is redrawn every time croniter parses the expression, so two processes (or two
  passes of one planner) disagree on when the job runs; here it is drawn once, from a hash of
  the expression's text.
"""

from __future__ import annotations

import bisect
import calendar
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from croniter import CroniterError, croniter

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# (lowest, highest) of each field; the weekday field also takes 7 for Sunday.
_BOUNDS = {
    "second": (0, 59),
    "minute": (0, 59),
    "hour": (0, 23),
    "day": (1, 31),
    "month": (1, 12),
    "weekday": (0, 6),
}
_NAMES = {
    "month": {
        name: i
        for i, name in enumerate(
            ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
        )
    },
    "weekday": {name: i for i, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))},
}
_PLAIN_ITEM = re.compile(r"^(\*|\?|(?P<first>[0-9a-z]+)(-(?P<last>[0-9a-z]+))?)(/[0-9]+)?$")
_RANDOM_ITEM = re.compile(r"^r(\(\d+-\d+\))?(/\d+)?$")
# croniter's field order (minute first, seconds sixth) and ours (seconds first, as written).
_CRONITER_INDEX = {"minute": 0, "hour": 1, "day": 2, "month": 3, "weekday": 4, "second": 5}
# A schedule that names no day for this long has ended (croniter gives up after 50 years too).
MAX_YEARS_WITHOUT_A_DAY = 50


@dataclass(frozen=True)
class CronSpec:
    """The wall-clock times one cron expression names."""

    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: frozenset[int]
    day_matches: Callable[[date], bool]
    # Whether the hour field runs through the whole day (`*`, `*/2`, `0-23`): such an expression
    # fires at every real instant that matches, like an interval, and ignores the DST policy.
    wildcard_hour: bool
    with_seconds: bool

    def matches(self, wall: datetime) -> bool:
        """Whether the expression names this wall-clock time."""
        return (
            wall.second in self.seconds
            and wall.minute in self.minutes
            and wall.hour in self.hours
            and wall.month in self.months
            and self.day_matches(wall.date())
        )

    def walls_from(self, start: datetime) -> Iterator[datetime]:
        """Every wall-clock time the expression names at or after `start` (naive), in order."""
        day = start.date()
        first = start.time().replace(microsecond=0)
        if start.microsecond:
            first = (datetime.combine(day, first) + timedelta(seconds=1)).time()
            if first == time(0):
                day += timedelta(days=1)
        for matching_day in self._days_from(day):
            if matching_day == day:
                yield from self._times(matching_day, first)
            else:
                yield from self._times(matching_day, time(0))

    def _days_from(self, day: date) -> Iterator[date]:
        last_found = day
        year, month = day.year, day.month
        first_day = day.day
        while (year - last_found.year) <= MAX_YEARS_WITHOUT_A_DAY:
            if month in self.months:
                for number in range(first_day, calendar.monthrange(year, month)[1] + 1):
                    candidate = date(year, month, number)
                    if self.day_matches(candidate):
                        last_found = candidate
                        yield candidate
            first_day = 1
            month += 1
            if month == 13:
                month, year = 1, year + 1
                if year > 9999:
                    return

    def _times(self, day: date, first: time) -> Iterator[datetime]:
        hours, minutes, seconds = self.hours, self.minutes, self.seconds
        for hour in hours[bisect.bisect_left(hours, first.hour) :]:
            start_minute = first.minute if hour == first.hour else 0
            for minute in minutes[bisect.bisect_left(minutes, start_minute) :]:
                start_second = first.second if (hour, minute) == (first.hour, first.minute) else 0
                for second in seconds[bisect.bisect_left(seconds, start_second) :]:
                    yield datetime(day.year, day.month, day.day, hour, minute, second)


def _value(token: str, field: str) -> int:
    names = _NAMES.get(field, {})
    if token in names:
        return names[token]
    if not token.isdigit():
        raise ValueError(f"{token!r} is not a value of the {field} field")
    value = int(token)
    low, high = _BOUNDS[field]
    if not low <= value <= (7 if field == "weekday" else high):
        raise ValueError(f"{value} is out of range for the {field} field")
    return value


def _is_plain(item: str, field: str) -> bool:
    """Whether an item uses only numbers, the field's names, *, ?, ranges and steps."""
    match = _PLAIN_ITEM.match(item)
    if not match or (item.startswith("?") and field not in ("day", "weekday")):
        return False
    names = _NAMES.get(field, {})
    return all(
        token is None or token.isdigit() or token in names
        for token in (match.group("first"), match.group("last"))
    )


def _expand_plain(text: str, field: str) -> frozenset[int]:
    """The values of a field written in the plain syntax (numbers, names, *, ?, ranges, steps)."""
    low, high = _BOUNDS[field]
    # The weekday field counts to 7 (Sunday again) in ranges that do not wrap: 5-7 is Fri, Sat, Sun.
    top = 7 if field == "weekday" else high
    values: set[int] = set()
    for item in text.split(","):
        base, has_step, step_text = item.partition("/")
        step = int(step_text) if has_step else 1
        if step < 1:
            raise ValueError("a step must be at least 1")
        if base in ("*", "?"):
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-")
            start, end = _value(first, field), _value(last, field)
        else:
            start = _value(base, field)
            # `10/15` steps from 10 to the end of the field (as cronie and croniter read it).
            end = top if has_step else start
        if start > end and field == "weekday":
            # The weekday field wraps on 0-6, so Sunday is not counted twice (7-1 is Sun, Mon).
            start, end = start % 7, end % 7
        if start <= end:
            sequence = list(range(start, end + 1, step))
        else:
            # A range that wraps (22-2, FRI-MON) runs cyclically from its start.
            cycle = list(range(start, high + 1)) + list(range(low, end + 1))
            sequence = cycle[::step]
        values.update(value % 7 if field == "weekday" else value for value in sequence)
    return frozenset(values)


def _deterministic_random(expression: str, fields: list[str]) -> tuple[list[str], str | None]:
    """`R` items become `H` items hashed on the expression, so every parse draws the same value."""
    changed = False
    result = []
    for text in fields:
        items = text.split(",")
        for index, item in enumerate(items):
            if _RANDOM_ITEM.match(item):
                items[index] = "h" + item[1:]
                changed = True
        result.append(",".join(items))
    return result, (expression if changed else None)


def _nearest_weekday(year: int, month: int, day: int) -> int:
    """The Mon-Fri day nearest to `day` in that month (the `W` of `15W`), as croniter reads it."""
    last = calendar.monthrange(year, month)[1]
    day = min(day, last)
    weekday = calendar.weekday(year, month, day)
    if weekday < 5:
        return day
    if weekday == 5:
        return day - 1 if day > 1 else day + 2
    return day + 1 if day < last else day - 2


@lru_cache(maxsize=4096)
def parse_cron(expression: str) -> CronSpec:
    """The CronSpec of an expression (5 fields, 6 with seconds first, or a macro); ValueError if bad."""
    text = " ".join(expression.split()).lower()
    text = MACROS.get(text, text)
    parts = text.split(" ")
    if len(parts) == 5:
        names = ["minute", "hour", "day", "month", "weekday"]
    elif len(parts) == 6:
        names = ["second", "minute", "hour", "day", "month", "weekday"]
    else:
        raise ValueError("a cron expression has 5 or 6 fields")
    parts, hash_id = _deterministic_random(text, parts)
    # croniter validates and expands what only it knows (L, W, #, H); its field order is
    # minute-first with seconds last.
    ordered = [parts[names.index(name)] for name in ("minute", "hour", "day", "month", "weekday")]
    if len(parts) == 6:
        ordered.append(parts[0])
    try:
        parsed = croniter(" ".join(ordered), datetime(2000, 1, 1), hash_id=hash_id)
    except (CroniterError, ValueError, TypeError, KeyError, IndexError) as exc:
        raise ValueError(str(exc)) from None
    fields = dict(zip(names, parts, strict=True))
    values: dict[str, frozenset[int]] = {}
    for name, field_text in fields.items():
        if all(_is_plain(item, name) for item in field_text.split(",")):
            values[name] = _expand_plain(field_text, name)
        else:
            expanded = parsed.expanded[_CRONITER_INDEX[name]]
            low, high = _BOUNDS[name]
            values[name] = frozenset(
                range(low, high + 1) if expanded == ["*"] else (v for v in expanded if isinstance(v, int))
            )
    day_matches = _day_rule(fields["day"], fields["weekday"], values["day"], values["weekday"], parsed)
    hour_text = fields["hour"]
    return CronSpec(
        seconds=tuple(sorted(values.get("second", frozenset({0})))),
        minutes=tuple(sorted(values["minute"])),
        hours=tuple(sorted(values["hour"])),
        months=values["month"],
        day_matches=day_matches,
        wildcard_hour="*" in hour_text or len(values["hour"]) == 24,
        with_seconds=len(parts) == 6,
    )


def _day_rule(
    day_text: str, weekday_text: str, days: frozenset[int], weekdays: frozenset[int], parsed: croniter
) -> Callable[[date], bool]:
    """Which dates the two day fields allow together.

    Both fields restricted: a date matching either fires (POSIX, croniter). A field counts as
    unrestricted when written `*` or `?`, or — croniter's rule, kept so no schedule moves — when
    it covers its whole range and the other day field is written with a `*` (`1-31` with `*/2`).
    `L`, `W` and `#` keep croniter's reading: with both fields restricted, each side is
    intersected with the other's `#`/`W` part.
    """
    last_day = "l" in parsed.expanded[2]
    nearest = sorted(parsed.nearest_weekday)
    nth: dict[int, set[int | str]] = {}
    for weekday, positions in parsed.nth_weekday_of_month.items():
        for key in range(7) if weekday == "*" else (weekday,):
            nth.setdefault(int(key), set()).update(positions)
    day_star = day_text in ("*", "?") or (
        len(days) == 31 and not last_day and not nearest and "*" in weekday_text
    )
    weekday_star = weekday_text in ("*", "?") or (len(weekdays) == 7 and not nth and "*" in day_text)

    def day_hit(day: date) -> bool:
        if nearest:
            return any(day.day == _nearest_weekday(day.year, day.month, n) for n in nearest)
        if day.day in days:
            return True
        return last_day and day.day == calendar.monthrange(day.year, day.month)[1]

    def nth_hit(day: date) -> bool:
        positions = nth.get((day.weekday() + 1) % 7)
        if not positions:
            return False
        if (day.day - 1) // 7 + 1 in positions:
            return True
        return "l" in positions and day.day + 7 > calendar.monthrange(day.year, day.month)[1]

    def weekday_hit(day: date) -> bool:
        return nth_hit(day) if nth else (day.weekday() + 1) % 7 in weekdays

    if not day_star and not weekday_star:

        def either(day: date) -> bool:
            return (day_hit(day) and (nth_hit(day) if nth else True)) or (
                weekday_hit(day) and (day_hit(day) if nearest else True)
            )

        return either

    def both(day: date) -> bool:
        return (day_star or day_hit(day)) and (weekday_star or weekday_hit(day))

    return both
