"""The calendar view: for a range of days, per job, what ran (executions by status, skips with
their reasons) and what will (the schedule's future runs, calendars, DST policy and jitter applied).

A run belongs to the local date, in its job's zone, of its instant. What the planner has handled
(up to its cursor, `planned_until`) is read from the execution rows — the past by status, rows
planned but not yet due as `planned`; what lies beyond the cursor is computed with
`cron.resume_runs`, the planner's own walk, so what the view promises is what the planner will do.
Skips the planner has not reached yet (one before a far-off next run is recorded when that run is
planned) come from the same walk, so no skipped day shows as empty.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..extensions import db
from ..models import Execution, Job
from .calendars import Calendar
from .cron import offset_text, resume_runs, zone_or_utc
from .exclusions import built_calendars, job_schedule

# One job's future runs walked for one view at most (a per-second job over two months is millions).
MAX_RUNS_PER_JOB = 5000
# Execution rows read for one view at most.
MAX_ROWS = 100_000


@dataclass
class _DayJob:
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    planned: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)


def calendar_view(jobs: list[Job], first: date, last: date, now: datetime) -> dict[str, Any]:
    """The days first..last (inclusive) for these jobs (one owner's, already scoped)."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    # Every zone's local day lies within a day either side of the UTC one.
    start = datetime.combine(first, time(), UTC) - timedelta(days=1)
    end = datetime.combine(last, time(), UTC) + timedelta(days=2)
    table: dict[tuple[date, int], _DayJob] = defaultdict(_DayJob)
    zones = {job.id: zone_or_utc(job.timezone) for job in jobs}
    truncated = _recorded(jobs, zones, start, end, now, table, first, last)
    built = built_calendars(i for job in jobs for i in (job.exclude_calendars or []))
    for job in jobs:
        truncated |= _future(job, zones[job.id], built, now, end, table, first, last)
    names = {job.id: job.name for job in jobs}
    return {
        "days": [
            {
                "date": day,
                "jobs": [
                    {
                        "job_id": job.id,
                        "name": names[job.id],
                        "counts": dict(entry.counts),
                        "planned": entry.planned,
                        "skipped": entry.skipped,
                    }
                    for job in jobs
                    if (entry := table.get((day, job.id))) is not None
                ],
                "excluded": _excluded(day, jobs, built),
                "dst": _dst(day, sorted({job.timezone or "UTC" for job in jobs})),
            }
            for day in days
        ],
        "truncated": truncated,
    }


def _local(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone)


def _recorded(
    jobs: list[Job],
    zones: dict[int, ZoneInfo],
    start: datetime,
    end: datetime,
    now: datetime,
    table: dict[tuple[date, int], _DayJob],
    first: date,
    last: date,
) -> bool:
    if not jobs:
        return False
    rows = db.session.execute(
        select(Execution.job_id, Execution.scheduled_for, Execution.status, Execution.reason)
        .where(
            Execution.job_id.in_([job.id for job in jobs]),
            Execution.scheduled_for >= start,
            Execution.scheduled_for <= end,
        )
        .order_by(Execution.scheduled_for, Execution.id)
        .limit(MAX_ROWS + 1)
    ).all()
    for job_id, scheduled_for, status, reason in rows[:MAX_ROWS]:
        local = _local(scheduled_for, zones[job_id])
        if not first <= local.date() <= last:
            continue
        entry = table[(local.date(), job_id)]
        if status == "pending" and scheduled_for > now:
            entry.planned.append(local.isoformat())
            continue
        entry.counts[status] += 1
        if status == "skipped":
            entry.skipped.append({"at": local.isoformat(), "reason": reason or "skipped"})
    return len(rows) > MAX_ROWS


def _future(
    job: Job,
    zone: ZoneInfo,
    built: dict[int, Calendar],
    now: datetime,
    end: datetime,
    table: dict[tuple[date, int], _DayJob],
    first: date,
    last: date,
) -> bool:
    """Runs beyond the planner's cursor that fire after `now`, and their skips; True when cut short."""
    if job.status != "active" or job.next_run_at is None:
        return False
    schedule = job_schedule(job, built)
    # From the planner's cursor: what lies before it is on record already.
    cursor = (
        job.planned_until if job.planned_until is not None else job.next_run_at - timedelta(microseconds=1)
    )
    for count, run in enumerate(resume_runs(schedule, cursor, job.schedule_since)):
        instant = run.fires_at or run.slot
        if instant > end:
            return False
        if count >= MAX_RUNS_PER_JOB:
            return True
        if instant <= now and run.fires_at is not None:
            continue  # the planner is behind: it records this one as missed
        local = _local(instant, zone)
        if not first <= local.date() <= last:
            continue
        entry = table[(local.date(), job.id)]
        if run.fires_at is None:
            entry.skipped.append(
                {"at": _local(run.slot, zone).isoformat(), "reason": run.skipped or "skipped"}
            )
        else:
            entry.planned.append(local.isoformat())
    return False


def _excluded(day: date, jobs: list[Job], built: dict[int, Calendar]) -> list[dict[str, Any]]:
    used = []
    for job in jobs:
        for calendar_id in job.exclude_calendars or []:
            if calendar_id in built and calendar_id not in used:
                used.append(calendar_id)
    marks = []
    for calendar_id in used:
        reasons = built[calendar_id].reasons(day)
        if reasons:
            marks.append({"calendar": built[calendar_id].name, "reasons": list(reasons)})
    return marks


def _dst(day: date, zone_names: list[str]) -> list[dict[str, str]]:
    marks = []
    for name in zone_names:
        zone = zone_or_utc(name)
        before = _offset_at(day, zone)
        after = _offset_at(day + timedelta(days=1), zone)
        if before != after:
            marks.append(
                {"timezone": name, "offset_before": offset_text(before), "offset_after": offset_text(after)}
            )
    return marks


def _offset_at(day: date, zone: ZoneInfo) -> timedelta:
    """The UTC offset in force at the first instant of a local day."""
    offset = datetime.combine(day, time(), zone).utcoffset()
    return offset if offset is not None else timedelta(0)
