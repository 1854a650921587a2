"""Backfills: run a job's own slots in a past range again — the slots, the rows, the progress, a cancel.

The slots are the job's schedule as the planner and the preview see it (`cron.upcoming_runs`), so a
backfilled slot has the `scheduled_for` the planner gave (or would have given) it, and the rows go in
under the same unique key on (job, `scheduled_for`) with `ON CONFLICT DO NOTHING`: a slot that already
has an execution — run by the schedule, or by an earlier backfill — is not doubled. The rows start
`waiting` (trigger `backfill`); the claim lets at most the backfill's `max_concurrency` of them run at
once, oldest first (scheduling/limits.py). A backfilled slot is never late for the misfire policy.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update

from ..bulk import insert_log_lines
from ..extensions import db
from ..models import SLOT_INDEX_WHERE, Backfill, Execution, Job, insert_for_dialect, utcnow
from .cron import Schedule, ScheduleError, upcoming_runs
from .limits import BACKFILL_REASON

# The most slots one backfill may hold; a larger range is refused with its count.
MAX_SLOTS = 10_000
# Counting the cron slots of a range refused as too large stops here (the count is then "more than"):
# walking them costs about 25 µs each. Interval slots are counted by arithmetic.
MAX_COUNTED = 50_000
# How far back a backfill may reach.
MAX_AGE = timedelta(days=3660)
# Statuses of a backfill's executions that are not finished yet.
UNFINISHED = ("waiting", "pending", "running", "retrying")
_TINY = timedelta(microseconds=1)
_INSERT_CHUNK = 1000


class BackfillError(ValueError):
    """The request cannot be done as asked (`field` names the input at fault): a 422."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class BackfillStateError(Exception):
    """The job's or the backfill's state does not allow this: a 409."""


def slots(job: Job, start: datetime, end: datetime, limit: int = MAX_SLOTS) -> list[datetime]:
    """The job's slots in [start, end] (UTC instants), at most `limit` + 1 of them."""
    schedule = Schedule.of_job(job)
    if schedule.schedule_type == "interval" and schedule.interval_seconds:
        # Interval slots step from the job's next slot (else the last it planned, else the range's
        # start); the grid is carried back to before the range, keeping its phase.
        anchor = schedule.anchor or job.planned_until or start
        step = timedelta(seconds=int(schedule.interval_seconds))
        if anchor > start:
            anchor -= math.ceil((anchor - start) / step) * step
        schedule = dataclasses.replace(schedule, anchor=anchor)
    found: list[datetime] = []
    try:
        for run in upcoming_runs(schedule, start - _TINY):
            if run.slot > end or len(found) > limit:
                break
            if run.fires_at is not None:
                found.append(run.slot)
    except ScheduleError as exc:
        raise BackfillError("from", f"The job's schedule cannot be backfilled: {exc}") from exc
    return found


def check_range(job: Job, start: datetime, end: datetime, now: datetime) -> list[datetime]:
    """The slots of a backfill over [start, end], or BackfillError naming the field at fault."""
    if end < start:
        raise BackfillError("to", "Must not be before 'from'.")
    if end > now:
        raise BackfillError("to", "Must not be in the future: a backfill runs slots that have passed.")
    if start < now - MAX_AGE:
        raise BackfillError("from", f"Must be within the last {MAX_AGE.days // 366} years.")
    found = slots(job, start, end)
    if len(found) > MAX_SLOTS:
        if job.schedule_type == "interval" and job.interval_seconds:
            step = timedelta(seconds=int(job.interval_seconds))
            count, exact = math.floor((end - found[0]) / step) + 1, True
        else:
            count = len(slots(job, start, end, MAX_COUNTED))
            exact = count <= MAX_COUNTED
        words = f"{count:,}" if exact else f"more than {MAX_COUNTED:,}"
        raise BackfillError(
            "to", f"The range holds {words} slots; a backfill may hold at most {MAX_SLOTS:,}."
        )
    return found


def create(
    job: Job, start: datetime, end: datetime, max_concurrency: int, now: datetime
) -> tuple[Backfill, list[tuple[int, datetime]]]:
    """Record a backfill and one `waiting` execution per slot that has none yet (committed).

    Returns the backfill and its first executions to queue (the oldest `max_concurrency`).
    """
    if job.status != "active":
        raise BackfillStateError(f"The job is {job.status}: resume it before backfilling.")
    found = check_range(job, start, end, now)
    backfill = Backfill(
        job_id=job.id,
        owner_id=job.owner_id,
        range_start=start,
        range_end=end,
        max_concurrency=max_concurrency,
        slot_count=len(found),
        created_count=0,
        created_at=now,
    )
    db.session.add(backfill)
    db.session.flush()
    stamp = utcnow()
    inserted: list[tuple[int, datetime]] = []
    table = Execution.__table__
    for first in range(0, len(found), _INSERT_CHUNK):
        values = [
            {
                "job_id": job.id,
                "owner_id": job.owner_id,
                "workspace_id": job.workspace_id,
                "job_version": job.version,
                "scheduled_for": slot,
                "trigger": "backfill",
                "status": "waiting",
                "reason": BACKFILL_REASON,
                "backfill_id": backfill.id,
                "attempt": 0,
                "attempts": [],
                "created_at": stamp,
                "updated_at": stamp,
            }
            for slot in found[first : first + _INSERT_CHUNK]
        ]
        statement = (
            insert_for_dialect(table)
            .on_conflict_do_nothing(
                index_elements=["job_id", "scheduled_for"], index_where=text(SLOT_INDEX_WHERE)
            )
            .returning(table.c.id, table.c.scheduled_for)
        )
        result = db.session.connection().execute(statement, values)
        inserted.extend((row.id, row.scheduled_for) for row in result)
    backfill.created_count = len(inserted)
    insert_log_lines(
        [
            {
                "execution_id": row_id,
                "attempt": 0,
                "timestamp": stamp,
                "level": "info",
                "message": f"Backfill {backfill.id}: runs at most {max_concurrency} at a time, oldest first.",
                "data": None,
            }
            for row_id, _ in inserted
        ]
    )
    db.session.commit()
    inserted.sort(key=lambda item: (item[1], item[0]))
    return backfill, [(row_id, now) for row_id, _ in inserted[:max_concurrency]]


def cancel(backfill: Backfill, now: datetime) -> int:
    """Cancel what has not started (no commit); a run already going finishes. How many were cancelled."""
    if backfill.cancelled_at is not None:
        return 0
    backfill.cancelled_at = now
    cancelled = db.session.execute(
        update(Execution)
        .where(Execution.backfill_id == backfill.id, Execution.status.in_(("waiting", "pending", "retrying")))
        .values(
            status="cancelled",
            reason="backfill_cancelled",
            error=f"Backfill {backfill.id} was cancelled.",
            finished_at=now,
            next_attempt_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(cancelled, "rowcount", 0) or 0)


@dataclass
class Progress:
    """A backfill with its status and how many of its executions are in each status."""

    backfill: Backfill
    status: str
    counts: dict[str, int]

    def __getattr__(self, name: str) -> Any:  # the backfill's own fields, for the schema
        return getattr(self.backfill, name)


def progress(backfills: list[Backfill]) -> list[Progress]:
    """Each backfill's status — running, completed or cancelled — and its executions per status."""
    counts: dict[int | None, dict[str, int]] = defaultdict(dict)
    if backfills:
        for backfill_id, status, count in db.session.execute(
            select(Execution.backfill_id, Execution.status, func.count())
            .where(Execution.backfill_id.in_([b.id for b in backfills]))
            .group_by(Execution.backfill_id, Execution.status)
        ):
            counts[backfill_id][status] = count
    result = []
    for backfill in backfills:
        of_backfill = counts[backfill.id]
        if backfill.cancelled_at is not None:
            status = "cancelled"
        elif any(of_backfill.get(name) for name in UNFINISHED):
            status = "running"
        else:
            status = "completed"
        result.append(Progress(backfill, status, of_backfill))
    return result


def of_job(job: Job) -> Any:
    """The job's backfills, newest first (a query to page)."""
    return select(Backfill).where(Backfill.job_id == job.id).order_by(Backfill.id.desc())
