"""The scheduler's own health: can it reach its backends, are workers alive, is it behind.

The probes (`api/health.py`), the health page (`api/system.py`) and `/metrics` all read it here.
`status` answers whether anything runs at all (`down`: database or queue unreachable, no worker
alive), whether something is behind (`degraded`), or `ok`, with the reasons in words. Figures about
jobs are for one workspace's jobs or, with `workspace_id=None`, for all of them.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, text

from .extensions import db, huey
from .models import NOT_TIMED_TRIGGERS, Execution, Job, SyncPass, WorkerHeartbeat, db_now

log = logging.getLogger(__name__)

WORKER_WINDOW = timedelta(seconds=60)
LATENESS_WINDOW = timedelta(hours=1)
# p99 lateness above this makes the scheduler `degraded`.
LATE_P99_SECONDS = 30.0
# The safety sync runs often on every worker; none for this long while workers live is a problem.
SYNC_STALE = timedelta(minutes=5)
# Tasks waiting for a worker beyond this many: the workers are not keeping up.
QUEUE_BACKLOG = 1000
WORKERS_SHOWN_SINCE = timedelta(hours=24)
OVERDUE_SHOWN = 20
STARTED = ("running", "retrying", "succeeded", "failed")
NOT_NORMAL = "The scheduler is not running normally; an administrator can see why."


def _error(exc: Exception) -> str:
    # The first line only: enough to diagnose, without dumping connection strings or tracebacks.
    text_ = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"error: {type(exc).__name__}" + (f": {text_[:200]}" if text_ else "")


def check_database() -> str:
    """'ok' when `SELECT 1` answers, else 'error: ...'."""
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # noqa: BLE001 — any failure to reach the database is the answer
        db.session.rollback()
        log.warning("Health: database unreachable: %s", exc)
        return _error(exc)


def check_queue() -> str:
    """'ok' when the queue storage (Redis or the SQLite file) answers, else 'error: ...'."""
    try:
        huey.pending_count()
        return "ok"
    except Exception as exc:  # noqa: BLE001 — same: report, do not raise
        log.warning("Health: queue unreachable: %s", exc)
        return _error(exc)


def count_workers() -> int | None:
    """Consumers that sent a heartbeat in the last minute (None if the database cannot say)."""
    try:
        since = db_now() - WORKER_WINDOW
        return (
            db.session.scalar(
                select(func.count()).select_from(WorkerHeartbeat).where(WorkerHeartbeat.last_seen >= since)
            )
            or 0
        )
    except Exception:  # noqa: BLE001 — reported as unknown; check_database says why
        db.session.rollback()
        return None


def percentile(ordered: list[float], q: float) -> float | None:
    """The q-quantile of sorted values by nearest rank (an observed value, never an interpolation)."""
    if not ordered:
        return None
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def ago(seconds: float) -> str:
    """45 → "45 s", 190 → "3 min", 7300 → "2 h", 200000 → "2 days"."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    days = seconds // 86400
    return "1 day" if days == 1 else f"{days} days"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def lateness(now: datetime, workspace_id: int | None) -> dict[str, Any]:
    """p50/p99 of started_at − scheduled_for over first attempts started in the last hour."""
    where: list[ColumnElement[bool]] = [
        Execution.attempt == 1,
        Execution.status.in_(STARTED),
        Execution.started_at.is_not(None),
        Execution.scheduled_for >= now - LATENESS_WINDOW,
        Execution.trigger.not_in(NOT_TIMED_TRIGGERS),
    ]
    if workspace_id is not None:
        where.append(Execution.workspace_id == workspace_id)
    seconds: ColumnElement[Any]
    if db.engine.dialect.name == "postgresql":
        seconds = func.extract("epoch", Execution.started_at - Execution.scheduled_for)
        runs, p50, p99 = db.session.execute(
            select(
                func.count(),
                func.percentile_disc(0.5).within_group(seconds),
                func.percentile_disc(0.99).within_group(seconds),
            ).where(*where)
        ).one()
    else:
        # SQLite has no percentile function; its databases are a laptop's, so read the values.
        seconds = (func.julianday(Execution.started_at) - func.julianday(Execution.scheduled_for)) * 86400.0
        values = [float(v) for v in db.session.scalars(select(seconds).where(*where).order_by(seconds))]
        runs, p50, p99 = len(values), percentile(values, 0.5), percentile(values, 0.99)
    # A batch is claimed up to a few ms before its instant: that is on time, not early.
    return {
        "runs": int(runs or 0),
        "p50_seconds": None if p50 is None else round(max(0.0, float(p50)), 3),
        "p99_seconds": None if p99 is None else round(max(0.0, float(p99)), 3),
    }


def _overdue_executions(now: datetime, grace: timedelta) -> ColumnElement[bool]:
    # The same rule as the safety sync's: due (or due again) past the grace, and nobody claimed it.
    return or_(
        and_(Execution.status == "pending", Execution.scheduled_for < now - grace),
        and_(Execution.status == "retrying", Execution.next_attempt_at < now - grace),
    )


def _unplanned_jobs(now: datetime, grace: timedelta) -> ColumnElement[bool]:
    # The planner moves next_run_at past each slot it plans, well before the slot: one still in the
    # past means no planner has run.
    return and_(Job.status == "active", Job.next_run_at < now - grace)


def overdue(now: datetime, grace: timedelta, workspace_id: int | None) -> tuple[int, list[dict[str, Any]]]:
    """How many runs are overdue, and the oldest of them (the workspace's own when workspace_id is given)."""
    executions = (
        select(
            Execution.id,
            Execution.job_id,
            Job.name,
            Job.timezone,
            func.coalesce(Execution.next_attempt_at, Execution.scheduled_for).label("due_at"),
        )
        .join(Job, Job.id == Execution.job_id)
        .where(_overdue_executions(now, grace))
    )
    jobs = select(Job.id, Job.name, Job.timezone, Job.next_run_at).where(_unplanned_jobs(now, grace))
    count_executions = select(func.count()).select_from(Execution).where(_overdue_executions(now, grace))
    count_jobs = select(func.count()).select_from(Job).where(_unplanned_jobs(now, grace))
    if workspace_id is not None:
        executions = executions.where(Execution.workspace_id == workspace_id)
        jobs = jobs.where(Job.workspace_id == workspace_id)
        count_executions = count_executions.where(Execution.workspace_id == workspace_id)
        count_jobs = count_jobs.where(Job.workspace_id == workspace_id)
    total = (db.session.scalar(count_executions) or 0) + (db.session.scalar(count_jobs) or 0)
    items = [
        {
            "kind": "execution",
            "execution_id": row.id,
            "job_id": row.job_id,
            "job_name": row.name,
            "timezone": row.timezone,
            "due_at": row.due_at,
        }
        for row in db.session.execute(executions.order_by("due_at").limit(OVERDUE_SHOWN))
    ]
    items += [
        {
            "kind": "job",
            "execution_id": None,
            "job_id": row.id,
            "job_name": row.name,
            "timezone": row.timezone,
            "due_at": row.next_run_at,
        }
        for row in db.session.execute(jobs.order_by(Job.next_run_at).limit(OVERDUE_SHOWN))
    ]
    items.sort(key=lambda item: item["due_at"])
    return total, items[:OVERDUE_SHOWN]


def running_over_timeout(now: datetime, workspace_id: int | None) -> int:
    """Executions still `running` longer than their job's timeout (their worker may be gone)."""
    statement = (
        select(Execution.started_at, Job.timeout_seconds)
        .join(Job, Job.id == Execution.job_id)
        .where(Execution.status == "running", Execution.started_at.is_not(None))
    )
    if workspace_id is not None:
        statement = statement.where(Execution.workspace_id == workspace_id)
    # Compared here rather than in SQL: interval arithmetic differs between the two databases, and
    # the running rows are few (a worker's batch at most).
    over = 0
    for started_at, timeout in db.session.execute(statement.limit(50_000)):
        if started_at is not None and started_at + timedelta(seconds=int(timeout)) < now:
            over += 1
    return over


def workers(now: datetime) -> tuple[list[dict[str, Any]], datetime | None]:
    """Workers seen in the last day (most recent first), and when any worker was last seen at all."""
    rows = db.session.execute(
        select(WorkerHeartbeat.worker, WorkerHeartbeat.last_seen)
        .where(WorkerHeartbeat.last_seen >= now - WORKERS_SHOWN_SINCE)
        .order_by(WorkerHeartbeat.last_seen.desc())
        .limit(50)
    ).all()
    last_seen = db.session.scalar(select(func.max(WorkerHeartbeat.last_seen)))
    shown = [
        {
            "name": name,
            "last_seen": seen,
            "seconds_since": max(0, int((now - seen).total_seconds())),
            "alive": seen >= now - WORKER_WINDOW,
        }
        for name, seen in rows
    ]
    return shown, last_seen


def queue_depth() -> dict[str, int | None]:
    """Tasks waiting in the queue now (ready) and for their time (scheduled); None when unreachable."""
    try:
        return {"ready": int(huey.pending_count()), "scheduled": int(huey.scheduled_count())}
    except Exception:  # noqa: BLE001 - the queue's state is reported by check_queue
        return {"ready": None, "scheduled": None}


def system_details(now: datetime, grace: timedelta) -> tuple[dict[str, Any], list[str], bool]:
    """The machinery's state, the reasons it is not ok, and whether nothing can run at all."""
    database, queue = check_database(), check_queue()
    reasons: list[str] = []
    down = False
    if database != "ok":
        return (
            {
                "database": database,
                "queue": queue,
                "workers_alive": 0,
                "workers": [],
                "queue_depth": queue_depth(),
                "overdue_count": 0,
                "running_over_timeout": 0,
                "lateness": {"runs": 0, "p50_seconds": None, "p99_seconds": None},
                "last_sync": None,
            },
            ["The database is unreachable: nothing can be planned or run."],
            True,
        )
    if queue != "ok":
        down = True
        reasons.append("The queue is unreachable: no run can be handed to a worker.")
    shown, last_seen = workers(now)
    alive = sum(1 for worker in shown if worker["alive"])
    if not alive:
        down = True
        reasons.append(
            f"No worker has been seen for {ago((now - last_seen).total_seconds())}: nothing runs "
            "until one is back."
            if last_seen
            else "No worker is running: nothing runs until one starts (chronos worker)."
        )
    depth = queue_depth()
    count, _ = overdue(now, grace, None)
    if count:
        reasons.append(
            f"{_plural(count, 'run is', 'runs are')} overdue: due, but no worker has picked "
            f"{'it' if count == 1 else 'them'} up."
        )
    over = running_over_timeout(now, None)
    if over:
        reasons.append(
            f"{_plural(over, 'run has', 'runs have')} been running longer than "
            f"{'its' if over == 1 else 'their'} timeout."
        )
    late = lateness(now, None)
    if late["p99_seconds"] is not None and late["p99_seconds"] > LATE_P99_SECONDS:
        reasons.append(
            f"Runs start late: 1 in 100 started more than {ago(late['p99_seconds'])} after its "
            "time in the last hour."
        )
    if depth["ready"] is not None and depth["ready"] >= QUEUE_BACKLOG:
        reasons.append(f"{depth['ready']} tasks are waiting in the queue: the workers are not keeping up.")
    last_sync = SyncPass.latest()
    if alive and (last_sync is None or last_sync.finished_at < now - SYNC_STALE):
        reasons.append(
            "No safety sync has run yet."
            if last_sync is None
            else f"The last safety sync was {ago((now - last_sync.finished_at).total_seconds())} ago."
        )
    details = {
        "database": database,
        "queue": queue,
        "workers_alive": alive,
        "workers": shown,
        "queue_depth": depth,
        "overdue_count": count,
        "running_over_timeout": over,
        "lateness": late,
        "last_sync": last_sync,
    }
    return details, reasons, down


def status(workspace_id: int, grace: timedelta, show_system: bool) -> dict[str, Any]:
    """The health page's answer for one user: their jobs' figures, and the machinery when shown."""
    now = db_now()
    mine_count, mine = overdue(now, grace, workspace_id)
    jobs = {
        "overdue_count": mine_count,
        "overdue": mine,
        "running_over_timeout": running_over_timeout(now, workspace_id),
        "lateness": lateness(now, workspace_id),
    }
    details, reasons, down = system_details(now, grace)
    if not show_system:
        # The user hears that something is wrong and what it does to their jobs, not the machinery.
        reasons = [NOT_NORMAL] if reasons else []
        if mine_count:
            reasons.append(f"{_plural(mine_count, 'of your runs is', 'of your runs are')} overdue.")
    return {
        "status": "down" if down else "degraded" if reasons else "ok",
        "reasons": reasons,
        "checked_at": now,
        "late_after_seconds": int(grace.total_seconds()),
        "jobs": jobs,
        "system": details if show_system else None,
    }
