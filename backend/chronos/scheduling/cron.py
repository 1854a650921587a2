"""Pure time-zone math for schedules: validation, the slots of cron, interval and once, and what
happens to each slot (DST policy, calendars, jitter).

The API validates with these functions and the planner plans with them, so both agree on what a
valid schedule is and when it fires. docs/time.md describes the rules for users.

DST (the default policy, ``DstPolicy()``, is the rule Chronos always had, the same as Vixie cron's):

* Fall back: a local time that happens twice (01:30 on 2026-11-01 in America/New_York) fires once,
  at its first occurrence, for an expression with a fixed hour (``fold="last"``: at its second,
  ``fold="both"``: at both). An expression whose hour field runs through the day (``*/30 * * * *``,
  ``0 */2 * * *``) fires at every real instant, as an interval would, whatever the policy.
* Spring forward: a local time that does not exist (02:30 on 2026-03-08 in America/New_York) fires
  at the first instant after the gap (03:00 local), so the day's run is never lost (``gap="skip"``:
  the slot is reported skipped with reason ``dst_gap`` instead). For an expression whose hour runs
  through the day the missing wall times are not slots at all: its real-time rhythm goes on.
* Same instant, same slot: wall times that land on one instant (02:00 and 02:30 both shifted to
  03:00, or shifted onto a 03:00 slot) fire once.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cron_descriptor import Options, get_description
from croniter import CroniterError, croniter

from .fields import CronSpec, parse_cron

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


# --- DST policy and the slots of a cron expression ---------------------------------------------

FOLD_POLICIES = ("first", "last", "both")
GAP_POLICIES = ("shift", "skip")
ON_EXCLUDED = ("skip", "next_business_day")
# A slot moved to the next business day looks this many days ahead before it gives up (skipped).
MAX_MOVE_DAYS = 366
# Jitter spreads bursts; a day is far more than that needs.
MAX_JITTER_SECONDS = 86_400


@dataclass(frozen=True)
class DstPolicy:
    """What a fixed-hour schedule does on a wall time that happens twice (fold) or never (gap)."""

    fold: str = "first"
    gap: str = "shift"

    def __post_init__(self) -> None:
        if self.fold not in FOLD_POLICIES:
            raise ScheduleError(f"Unknown fold policy {self.fold!r}; use one of {', '.join(FOLD_POLICIES)}.")
        if self.gap not in GAP_POLICIES:
            raise ScheduleError(f"Unknown gap policy {self.gap!r}; use one of {', '.join(GAP_POLICIES)}.")

    @classmethod
    def of(cls, value: DstPolicy | Mapping[str, str] | None) -> DstPolicy:
        """A policy from an API/JSON value ({"fold": ..., "gap": ...}); None is the default."""
        if value is None:
            return DEFAULT_POLICY
        if isinstance(value, DstPolicy):
            return value
        return cls(fold=value.get("fold") or "first", gap=value.get("gap") or "shift")


DEFAULT_POLICY = DstPolicy()


@dataclass(frozen=True)
class Run:
    """One slot of a schedule and what happens to it.

    `slot` is the UTC instant that names the slot (what an execution's `scheduled_for` holds);
    for a wall time that does not exist it is the first instant after the gap. `fires_at` is
    `slot` plus the job's jitter, or None when the slot is skipped (`skipped` says why).
    """

    slot: datetime
    wall: datetime  # the local wall-clock time the schedule names (naive)
    fires_at: datetime | None
    dst: str | None = None  # None | "fold" | "gap"
    offset_before: str | None = None  # the UTC offsets either side of the transition ("+01:00")
    offset_after: str | None = None
    skipped: str | None = None  # None | "dst_gap" | "calendar: <name>"
    occurrence: int | None = None  # fold: 1 = the first instant of the repeated wall time, 2 = the second
    fires_twice: bool = False  # fold: both instants of this wall time fire
    moved_from: datetime | None = None  # next_business_day: the excluded wall time this run replaces
    moved_slot: datetime | None = None  # next_business_day: the slot (UTC) of that excluded wall time
    calendar: str | None = None  # the calendar that excluded the day (skipped or moved)
    reason: str | None = None  # why it excluded the day ("Christmas Day", "Saturday")


def _spec(expression: str) -> CronSpec:
    try:
        return parse_cron(expression)
    except ValueError as exc:
        raise ScheduleError(f"Invalid cron expression {expression!r}: {exc}.") from None


def _offsets(wall: datetime, zone: ZoneInfo) -> tuple[timedelta, timedelta]:
    """The UTC offsets of a wall time read as before (fold=0) and after (fold=1) a transition.

    Equal: the wall time happens once. First larger: it happens twice (fold). First smaller: it
    does not exist (gap) — zoneinfo reads it with the offsets either side of the jump.
    """
    first = wall.replace(tzinfo=zone).utcoffset()
    second = wall.replace(tzinfo=zone, fold=1).utcoffset()
    assert first is not None and second is not None
    return first, second


def _instant(wall: datetime, offset: timedelta) -> datetime:
    # Wall time minus its offset is the instant; done on naive values, then marked UTC.
    return (wall - offset).replace(tzinfo=UTC)


def offset_text(offset: timedelta) -> str:
    """A UTC offset as "+05:30" (with seconds only when it has some, as historic zones do)."""
    seconds = int(offset.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02}:{minutes:02}" + (f":{seconds:02}" if seconds else "")


class _GapEnds:
    """Finds (and remembers) the instant a gap ends: where a missing wall time is shifted to."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.last: tuple[datetime, datetime, datetime] | None = None  # (first wall, end wall, instant)

    def end(self, wall: datetime, before: timedelta, after: timedelta) -> datetime:
        if self.last and self.last[0] <= wall < self.last[1]:
            return self.last[2]
        # The transition lies between the instant the wall time has with the later offset (still
        # before the jump) and the one it has with the earlier offset (already after it).
        low = int(_instant(wall, after).timestamp())
        high = int(_instant(wall, before).timestamp())
        while high - low > 1:
            middle = (low + high) // 2
            if datetime.fromtimestamp(middle, self.zone).utcoffset() == before:
                low = middle
            else:
                high = middle
        instant = datetime.fromtimestamp(high, UTC)
        naive = instant.replace(tzinfo=None)
        self.last = (naive + before, naive + after, instant)
        return instant


def _resolve(
    wall: datetime, zone: ZoneInfo, wildcard_hour: bool, policy: DstPolicy, gaps: _GapEnds
) -> tuple[list[Run], datetime]:
    """The runs of one wall time under the policy, and the earliest instant it can have.

    Every later wall time maps to instants at or after that earliest instant, which is what lets
    `cron_runs` hand out runs in instant order while it walks wall times in wall order.
    """
    before, after = _offsets(wall, zone)
    if before == after:
        instant = _instant(wall, before)
        return [Run(instant, wall, instant)], instant
    marks: dict[str, Any] = {"offset_before": offset_text(before), "offset_after": offset_text(after)}
    if before > after:
        first, second = _instant(wall, before), _instant(wall, after)
        if wildcard_hour or policy.fold == "both":
            chosen = [(1, first), (2, second)]
        elif policy.fold == "first":
            chosen = [(1, first)]
        else:
            chosen = [(2, second)]
        twice = len(chosen) == 2
        return [
            Run(at, wall, at, "fold", occurrence=n, fires_twice=twice, **marks) for n, at in chosen
        ], first
    if wildcard_hour:
        # No real instant has this wall time; an all-day expression just goes on after the gap.
        return [], _instant(wall, after)
    end = gaps.end(wall, before, after)
    if policy.gap == "skip":
        return [Run(end, wall, None, "gap", skipped="dst_gap", **marks)], end
    return [Run(end, wall, end, "gap", **marks)], end


def cron_runs(
    expression: str, zone_name: str, after: datetime, policy: DstPolicy = DEFAULT_POLICY
) -> Iterator[Run]:
    """Every slot of a cron expression in a zone strictly after `after`, in order, with its fate.

    Firing runs come in instant order; a skipped gap slot sits where `shift` would have fired
    it (the first instant after the gap). Runs that fall on one instant fire once (the first,
    in wall-clock order, stands for them).
    """
    spec = _spec(expression)
    zone = load_zone(zone_name)
    after = after.astimezone(UTC)
    local = after.astimezone(zone)
    start = local.replace(tzinfo=None)
    before, later = _offsets(start, zone)
    if before > later and local.fold == 0:
        # `after` falls in the first pass through a repeated hour: the second pass, still to come,
        # repeats wall times from before `after`, so the walk starts a whole fold earlier.
        start -= before - later
    pending: list[tuple[datetime, datetime, int, Run]] = []
    firing: set[datetime] = set()
    gaps = _GapEnds(zone)
    order = 0
    for wall in spec.walls_from(start):
        runs, earliest = _resolve(wall, zone, spec.wildcard_hour, policy, gaps)
        while pending and pending[0][0] < earliest:
            run = heapq.heappop(pending)[3]
            firing.discard(run.slot)
            yield run
        for run in runs:
            if run.slot <= after:
                continue
            if run.fires_at is not None:
                if run.slot in firing:
                    continue
                firing.add(run.slot)
            order += 1
            heapq.heappush(pending, (run.slot, wall, order, run))
    while pending:
        yield heapq.heappop(pending)[3]


def cron_next(expression: str, zone_name: str, after: datetime, count: int = 1) -> list[datetime]:
    """The next `count` firings strictly after `after`, as aware UTC datetimes (default policy)."""
    results: list[datetime] = []
    if count <= 0:
        return results
    for run in cron_runs(expression, zone_name, after):
        if run.fires_at is not None:
            results.append(run.slot)
            if len(results) == count:
                break
    return results


# --- jitter -------------------------------------------------------------------------------------


def jitter_offset(job_id: object, slot: datetime, jitter_seconds: int) -> int:
    """Whole seconds (0..jitter_seconds) a job's slot is delayed by: a hash of (job, slot), so every
    process that plans the slot computes the same offset (exactly-once needs one answer)."""
    if jitter_seconds <= 0:
        return 0
    key = f"{job_id}|{slot.astimezone(UTC).isoformat()}".encode()
    number = int.from_bytes(hashlib.sha256(key).digest()[:8], "big")
    # 2**64 values folded onto at most a day's seconds: the bias is below 1e-14.
    return number % (jitter_seconds + 1)


def _jittered(runs: Iterator[Run], job_id: object, jitter_seconds: int) -> Iterator[Run]:
    """Each firing run delayed by its jitter, never as far as the next slot of the job.

    When the next slot is closer than `jitter_seconds`, the offset is drawn from the seconds
    before it ([0, next − slot − 1 s]), so runs keep their order and a jittered firing never
    meets the next one.
    """
    previous: Run | None = None
    for run in runs:
        if previous is not None:
            yield _jitter_one(previous, run.slot, job_id, jitter_seconds)
        previous = run
    if previous is not None:
        yield _jitter_one(previous, None, job_id, jitter_seconds)


def _jitter_one(run: Run, next_slot: datetime | None, job_id: object, jitter_seconds: int) -> Run:
    if run.fires_at is None:
        return run
    limit = jitter_seconds
    if next_slot is not None:
        limit = min(limit, math.ceil((next_slot - run.slot).total_seconds()) - 1)
    if limit <= 0:
        return run
    return replace(run, fires_at=run.slot + timedelta(seconds=jitter_offset(job_id, run.slot, limit)))


# --- one entry point: the runs of a schedule ---------------------------------------------------


class ExclusionCalendar(Protocol):
    """A built calendar of excluded days (calendars.Calendar is one)."""

    @property
    def name(self) -> str: ...

    def excludes(self, day: date) -> str | None:
        """Why this local date is excluded, or None."""


@dataclass(frozen=True)
class Schedule:
    """Everything that decides when a job fires: what `upcoming_runs` needs, and nothing stored."""

    schedule_type: str = "cron"
    cron_expression: str | None = None
    interval_seconds: int | None = None
    anchor: datetime | None = None  # interval: one of its slots (the job's next_run_at)
    run_at: datetime | None = None
    timezone: str = "UTC"
    dst_policy: DstPolicy = DEFAULT_POLICY
    calendars: tuple[ExclusionCalendar, ...] = ()
    on_excluded: str = "skip"
    jitter_seconds: int = 0
    job_id: object = None

    def __post_init__(self) -> None:
        if self.on_excluded not in ON_EXCLUDED:
            raise ScheduleError(
                f"Unknown on_excluded {self.on_excluded!r}; use one of {', '.join(ON_EXCLUDED)}."
            )
        if self.jitter_seconds < 0:
            raise ScheduleError("jitter_seconds may not be negative.")

    @classmethod
    def of_job(
        cls, job: Any, calendars: Iterable[ExclusionCalendar] = (), on_excluded: str = "skip"
    ) -> Schedule:
        """The schedule of a job (anything with the Job schedule fields; the DST policy and jitter
        are read when the job has them). An interval steps from the planner's cursor
        (`planned_until`, a slot or the instant the job was scheduled) or else its next_run_at."""
        return cls(
            schedule_type=job.schedule_type,
            cron_expression=getattr(job, "cron_expression", None),
            interval_seconds=getattr(job, "interval_seconds", None),
            anchor=getattr(job, "planned_until", None) or getattr(job, "next_run_at", None),
            run_at=getattr(job, "run_at", None),
            timezone=job.timezone or "UTC",
            dst_policy=DstPolicy.of(getattr(job, "dst_policy", None)),
            calendars=tuple(calendars),
            on_excluded=on_excluded,
            jitter_seconds=int(getattr(job, "jitter_seconds", None) or 0),
            job_id=getattr(job, "id", None),
        )


def upcoming_runs(schedule: Schedule, after: datetime) -> Iterator[Run]:
    """Every run of the schedule strictly after `after`, in order: the ones that fire (jitter
    applied) and the ones that do not (`skipped` says why). Take as many as needed."""
    zone = load_zone(schedule.timezone)
    runs = _slots(schedule, zone, after)
    if schedule.calendars:
        runs = _excluded(runs, schedule, zone)
    if schedule.jitter_seconds:
        runs = _jittered(runs, schedule.job_id, schedule.jitter_seconds)
    return _bounded(runs)


def _bounded(runs: Iterator[Run]) -> Iterator[Run]:
    """The runs until the calendar ends: a run moved or jittered past 9999-12-31 ends the schedule
    instead of failing whoever asked."""
    try:
        yield from runs
    except OverflowError:
        return


def resume_runs(schedule: Schedule, cursor: datetime, since: datetime | None = None) -> Iterator[Run]:
    """Every run strictly after `cursor` (by slot), as `upcoming_runs` — including the runs moved
    to the next business day from excluded days at or before the cursor, which a walk starting at
    the cursor would never meet. The planner resumes its walk here, pass after pass.

    A moved run lands on the first day no calendar excludes, so its slot comes from the stretch of
    excluded days just before that day: the walk starts at the first of the excluded days that run
    up to the cursor's day, and drops what lies at or before the cursor.
    """
    if schedule.on_excluded != "next_business_day" or not schedule.calendars:
        return upcoming_runs(schedule, cursor)
    zone = load_zone(schedule.timezone)
    earliest = None
    try:
        day = _wall(cursor, zone).date()
        if _exclusion(schedule.calendars, day) is None:
            day -= timedelta(days=1)
        for _ in range(MAX_MOVE_DAYS):
            if _exclusion(schedule.calendars, day) is None:
                break
            earliest = day
            day -= timedelta(days=1)
        if earliest is None:
            return upcoming_runs(schedule, cursor)
        # Local midnight of that day, read as the earliest instant it can have (before any fold).
        start = min(
            _instant(datetime.combine(earliest, datetime.min.time()), offset)
            for offset in _offsets(datetime.combine(earliest, datetime.min.time()), zone)
        ) - timedelta(microseconds=1)
    except OverflowError:  # the first days of year 1: nothing before them to move from
        return upcoming_runs(schedule, cursor)
    if since is not None:
        start = max(start, since)
    return (run for run in upcoming_runs(schedule, min(start, cursor)) if run.slot > cursor)


def next_due(runs: Iterable[Run], limit: int = 10_000) -> datetime | None:
    """When the planner must next look at a job: when its first run that fires fires — or, when the
    next `limit` runs are all skipped (a minutely job over a long holiday), the slot of the last of
    them, so their skips are recorded and the search goes on from there. None: no run is left."""
    last: Run | None = None
    for count, run in enumerate(runs):
        if run.fires_at is not None:
            return run.fires_at
        last = run
        if count >= limit:
            break
    return last.slot if last is not None and count >= limit else None


def _slots(schedule: Schedule, zone: ZoneInfo, after: datetime) -> Iterator[Run]:
    if schedule.schedule_type == "cron":
        if not schedule.cron_expression:
            raise ScheduleError("A cron schedule needs a cron expression.")
        return cron_runs(schedule.cron_expression, schedule.timezone, after, schedule.dst_policy)
    if schedule.schedule_type == "interval":
        if not schedule.interval_seconds or schedule.interval_seconds < 1:
            raise ScheduleError("An interval schedule needs interval_seconds of at least 1.")
        step = timedelta(seconds=int(schedule.interval_seconds))
        anchor = schedule.anchor or after + step
        # The first grid instant (anchor + k·step, k of either sign) after `after`: a walk that
        # starts before the anchor (resume_runs) meets the same slots as one that starts after it.
        k = (after - anchor) // step + 1
        return _interval_runs(anchor + k * step, step, zone)
    if schedule.schedule_type == "once":
        at = schedule.run_at
        return iter([Run(at, _wall(at, zone), at)] if at is not None and at > after else [])
    raise ScheduleError(f"Unknown schedule type {schedule.schedule_type!r}.")


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None, fold=0)


def _interval_runs(first: datetime, step: timedelta, zone: ZoneInfo) -> Iterator[Run]:
    at = first
    while True:
        yield Run(at, _wall(at, zone), at)
        try:
            at += step
        except OverflowError:
            return


def _exclusion(calendars: Iterable[ExclusionCalendar], day: date) -> tuple[str, str] | None:
    for calendar in calendars:
        reason = calendar.excludes(day)
        if reason:
            return calendar.name, reason
    return None


def _excluded(runs: Iterator[Run], schedule: Schedule, zone: ZoneInfo) -> Iterator[Run]:
    """Runs on excluded days skipped (reason `calendar: <name>`) or moved to the next business day.

    A moved run keeps its wall time on the first later day no calendar excludes. When that
    instant is already a slot of the job (its own slot that day, or another moved run), the
    excluded slot is reported skipped instead: one instant is one slot, so it fires once.
    """
    spec = (
        _spec(schedule.cron_expression)
        if schedule.schedule_type == "cron" and schedule.cron_expression
        else None
    )
    moved: list[tuple[datetime, int, Run]] = []
    taken: set[datetime] = set()
    order = 0
    for run in runs:
        while moved and moved[0][0] < run.slot:
            taken.discard(moved[0][0])
            yield heapq.heappop(moved)[2]
        if run.fires_at is not None and run.slot in taken:
            continue  # a moved run already fires at this instant: the same slot
        hit = None if run.skipped else _exclusion(schedule.calendars, run.wall.date())
        if hit is None:
            yield run
            continue
        name, reason = hit
        skipped = replace(run, fires_at=None, skipped=f"calendar: {name}", calendar=name, reason=reason)
        target = _move(run, schedule, zone, spec) if schedule.on_excluded == "next_business_day" else None
        if target is None or target.slot in taken:
            yield skipped
            continue
        taken.add(target.slot)
        order += 1
        heapq.heappush(
            moved, (target.slot, order, replace(target, calendar=name, reason=reason, moved_slot=run.slot))
        )
    while moved:
        yield heapq.heappop(moved)[2]


def _move(run: Run, schedule: Schedule, zone: ZoneInfo, spec: CronSpec | None) -> Run | None:
    """The run at the same wall time on the next day no calendar excludes, or None when there is
    no such day within a year or that time is already one of the job's own slots."""
    day = run.wall.date()
    for _ in range(MAX_MOVE_DAYS):
        day += timedelta(days=1)
        if _exclusion(schedule.calendars, day) is None:
            break
    else:
        return None
    wall = datetime.combine(day, run.wall.time())
    if spec is not None and spec.matches(wall):
        return None
    before, after = _offsets(wall, zone)
    policy = schedule.dst_policy
    if before == after:
        instant = _instant(wall, before)
        if schedule.schedule_type == "interval" and schedule.interval_seconds:
            anchor = schedule.anchor or run.slot
            if (instant - anchor) % timedelta(seconds=schedule.interval_seconds) == timedelta(0):
                return None
        return Run(instant, wall, instant, moved_from=run.wall)
    marks: dict[str, Any] = {
        "offset_before": offset_text(before),
        "offset_after": offset_text(after),
        "moved_from": run.wall,
    }
    if before > after:
        # A moved slot fires once: at the first occurrence, unless the policy (or the run it
        # replaces) names the second.
        second = policy.fold == "last" or run.occurrence == 2
        instant = _instant(wall, after if second else before)
        return Run(instant, wall, instant, "fold", occurrence=2 if second else 1, **marks)
    end = _GapEnds(zone).end(wall, before, after)
    if policy.gap == "skip" and not (spec is not None and spec.wildcard_hour):
        return Run(end, wall, None, "gap", skipped="dst_gap", **marks)
    return Run(end, wall, end, "gap", **marks)


# --- words for the editor -----------------------------------------------------------------------


def _clock(wall: datetime) -> str:
    return wall.strftime("%H:%M:%S" if wall.second else "%H:%M")


def _zone_label(instant: datetime, zone: ZoneInfo) -> str:
    local = instant.astimezone(zone)
    name = local.tzname() or ""
    offset = local.utcoffset()
    return name if name.isalpha() or offset is None else f"UTC{offset_text(offset)}"


def describe_run(run: Run, zone: ZoneInfo) -> str | None:
    """What a transition or a calendar does to this run, in words for the editor; None for none."""
    if run.calendar and run.moved_from is None:
        return f"{run.reason} ({run.calendar}): skipped"
    prefix = ""
    if run.moved_from is not None:
        prefix = f"{run.reason} ({run.calendar}): moved from {run.moved_from.strftime('%a %d %b')}"
        if run.dst is None:
            return prefix
        prefix += "; "
    clock = _clock(run.wall)
    if run.dst == "fold":
        if run.fires_twice and run.offset_before and run.offset_after:
            first = _zone_label(_instant(run.wall, _parse_offset(run.offset_before)), zone)
            second = _zone_label(_instant(run.wall, _parse_offset(run.offset_after)), zone)
            return f"{prefix}runs twice: at {clock} {first} and {clock} {second}"
        which = "first" if run.occurrence == 1 else "second"
        return f"{prefix}clocks go back that night: runs once, at the {which} {clock}"
    if run.dst == "gap":
        if run.skipped == "dst_gap":
            return f"{prefix}{clock} does not exist that night: skipped"
        return f"{prefix}{clock} does not exist that night: runs at {_clock(_wall(run.slot, zone))}"
    return prefix or None


def _parse_offset(text: str) -> timedelta:
    sign = -1 if text.startswith("-") else 1
    parts = [int(part) for part in text[1:].split(":")] + [0]
    return sign * timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2])


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
