"""A brute-force reference for cron schedules in a time zone, independent of croniter and of Chronos.

It reads an expression by testing each value against each item of a field (nothing is expanded
by a library), then walks every minute — every second for a six-field expression — in UTC,
converts the instant to local time with zoneinfo and keeps the instants whose wall time matches.
The DST policy is applied to what the walk sees:

* an instant whose wall time happens twice (zoneinfo's fold) fires for `first` on the first pass,
  for `last` on the second, for `both` on both; an expression whose hour field runs through the
  day fires on both whatever the policy;
* when one step of the walk jumps the wall clock forward by more than the step, the wall times in
  between do not exist: those the expression names fire at that first instant after the jump
  (`shift`) or are reported skipped (`skip`); for an all-day hour field they are not slots;
* instants that fire more than once (several shifted wall times, or a shifted one and a real one)
  fire once, for the earliest wall time.

Only for use on times whose UTC offsets are whole minutes (every zone from 1975 on).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# field: (lowest, highest value a test is made for, highest written value)
LIMITS = {
    "second": (0, 59, 59),
    "minute": (0, 59, 59),
    "hour": (0, 23, 23),
    "day": (1, 31, 31),
    "month": (1, 12, 12),
    "weekday": (0, 6, 7),
}


def _number(token: str, field: str) -> int:
    if field == "month" and token in MONTH_NAMES:
        return MONTH_NAMES.index(token) + 1
    if field == "weekday" and token in DAY_NAMES:
        return DAY_NAMES.index(token)
    return int(token)


def _item_allows(item: str, field: str, value: int) -> bool:
    """Whether one list item of a field allows `value`."""
    low, high, written_high = LIMITS[field]
    base, slash, step_text = item.partition("/")
    step = int(step_text) if slash else 1
    if base in ("*", "?"):
        return (value - low) % step == 0
    if "-" in base:
        first_text, last_text = base.split("-")
        first, last = _number(first_text, field), _number(last_text, field)
    else:
        first = _number(base, field)
        last = written_high if slash else first
    # The weekday field writes Sunday as 0 or 7: test both spellings of Sunday.
    spellings = [value, 7] if field == "weekday" and value == 0 else [value]
    if first <= last:
        return any(first <= v <= last and (v - first) % step == 0 for v in spellings)
    # A wrapping range runs from `first` to the top of the field, then from the bottom to `last`.
    if field == "weekday":
        first, last = first % 7, last % 7
        if first <= last:
            return first <= value <= last and (value - first) % step == 0
    size = high - low + 1
    distance = (value - first) % size
    return distance <= (last - first) % size and distance % step == 0


def _allows(text: str, field: str, value: int) -> bool:
    return any(_item_allows(item, field, value) for item in text.split(","))


@dataclass
class Expression:
    seconds: str
    minutes: str
    hours: str
    days: str
    months: str
    weekdays: str
    with_seconds: bool

    @classmethod
    def read(cls, text: str) -> Expression:
        text = " ".join(text.lower().split())
        text = MACROS.get(text, text)
        parts = text.split(" ")
        if len(parts) == 5:
            return cls("0", *parts, with_seconds=False)
        return cls(*parts, with_seconds=True)

    def __post_init__(self) -> None:
        def values(text: str, field: str) -> set[int]:
            low, high, _ = LIMITS[field]
            return {v for v in range(low, high + 1) if _allows(text, field, v)}

        self.second_set = values(self.seconds, "second")
        self.minute_set = values(self.minutes, "minute")
        self.hour_set = values(self.hours, "hour")
        self.month_set = values(self.months, "month")
        self.day_set = values(self.days, "day")
        self.weekday_set = values(self.weekdays, "weekday")
        # A day field is unrestricted when written * or ?, or when it allows every value and the
        # other day field is written with a * (croniter's rule, which Chronos keeps).
        self.day_free = self.days in ("*", "?") or (len(self.day_set) == 31 and "*" in self.weekdays)
        self.weekday_free = self.weekdays in ("*", "?") or (len(self.weekday_set) == 7 and "*" in self.days)
        self.all_day = "*" in self.hours or len(self.hour_set) == 24
        self._days: dict[date, bool] = {}

    def day_allowed(self, day: date) -> bool:
        known = self._days.get(day)
        if known is None:
            by_day = day.day in self.day_set
            by_weekday = (day.weekday() + 1) % 7 in self.weekday_set
            if not self.day_free and not self.weekday_free:
                known = by_day or by_weekday
            else:
                known = (self.day_free or by_day) and (self.weekday_free or by_weekday)
            self._days[day] = known
        return known

    def names(self, wall: datetime) -> bool:
        return (
            wall.second in self.second_set
            and wall.minute in self.minute_set
            and wall.hour in self.hour_set
            and wall.month in self.month_set
            and self.day_allowed(wall.date())
        )


def _offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02}:{abs(minutes) % 60:02}"


def reference_runs(
    expression: str, zone_name: str, after: datetime, until: datetime, fold: str = "first", gap: str = "shift"
) -> list[tuple]:
    """(slot, wall, fires, dst, offset_before, offset_after, skipped) for slots in (after, until)."""
    spec = Expression.read(expression)
    zone = ZoneInfo(zone_name)
    step = 1 if spec.with_seconds else 60
    start = int(after.timestamp()) // step * step + step
    end = math.ceil(until.timestamp())
    found: list[tuple] = []
    previous_offset = datetime.fromtimestamp(start - step, zone).utcoffset()
    for ts in range(start, end, step):
        local = datetime.fromtimestamp(ts, zone)
        offset = local.utcoffset()
        if offset != previous_offset:
            if offset > previous_offset and not spec.all_day:
                # The wall clock jumped forward: the walls between the previous step's and this
                # one's do not exist.
                wall = local.replace(tzinfo=None, fold=0)
                instant = datetime.fromtimestamp(ts, UTC)
                missing = wall - (offset - previous_offset)
                while missing < wall:
                    if spec.names(missing):
                        marks = ("gap", _offset(previous_offset), _offset(offset))
                        if gap == "shift":
                            found.append((instant, missing, True, *marks, None))
                        else:
                            found.append((instant, missing, False, *marks, "dst_gap"))
                    missing += timedelta(seconds=step)
            previous_offset = offset
        if not spec.names(local):
            continue
        wall = local.replace(tzinfo=None, fold=0)
        instant = datetime.fromtimestamp(ts, UTC)
        other = local.replace(fold=1 - local.fold)
        if (
            other.utcoffset() != offset
            and other.astimezone(UTC).astimezone(zone).replace(tzinfo=None, fold=0) == wall
        ):
            first_offset, second_offset = sorted([offset, other.utcoffset()], reverse=True)
            marks = ("fold", _offset(first_offset), _offset(second_offset))
            second_pass = local.fold == 1
            wanted = spec.all_day or fold == "both" or (fold == "last") == second_pass
            if wanted:
                found.append((instant, wall, True, *marks, None))
        else:
            found.append((instant, wall, True, None, None, None, None))
    found.sort(key=lambda run: (run[0], run[1]))
    runs: list[tuple] = []
    fired: set[datetime] = set()
    for run in found:
        if run[2]:
            if run[0] in fired:
                continue
            fired.add(run[0])
        runs.append(run)
    return runs
