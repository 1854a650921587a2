"""Dashboard numbers for the signed-in user: jobs, the last 24 hours of executions, what comes next."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import Integer, cast, func, select

from .. import access, retention
from ..extensions import db
from ..models import EXECUTION_STATUSES, JOB_STATUSES, Execution, Job, db_now
from ..schemas.ops import DashboardSchema
from .auth import protected

blp = Blueprint("dashboard", __name__, description="Summary numbers for the dashboard.")

FINISHED = ("succeeded", "failed")


def _p95(where: tuple[Any, ...]) -> float | None:
    """The 95th percentile of the durations by nearest rank (an observed duration, never an
    interpolation): PostgreSQL's `percentile_disc`; on SQLite the row at that rank."""
    where = (*where, Execution.duration_ms.is_not(None))
    if db.engine.dialect.name == "postgresql":
        value = db.session.scalar(
            select(func.percentile_disc(0.95).within_group(Execution.duration_ms)).where(*where)
        )
        return float(value) if value is not None else None
    count = db.session.scalar(select(func.count()).where(*where)) or 0
    if not count:
        return None
    rank = max(math.ceil(0.95 * count) - 1, 0)
    value = db.session.scalar(
        select(Execution.duration_ms).where(*where).order_by(Execution.duration_ms).offset(rank).limit(1)
    )
    return float(value) if value is not None else None


def _hour_number(column: Any) -> Any:
    """Whole hours since the epoch of a UTC timestamp column, in SQL, on either database."""
    if db.engine.dialect.name == "postgresql":
        return func.floor(func.extract("epoch", column) / 3600)
    return cast(func.strftime("%s", column), Integer) / 3600


def _hour(value: datetime) -> datetime:
    return value.replace(minute=0, second=0, microsecond=0)


@blp.route("/dashboard/stats", methods=["GET"])
@protected(blp)
@blp.response(200, DashboardSchema)
def stats() -> dict[str, Any]:
    """Jobs by status; executions whose slot fell in the last 24 h by status, success rate, mean and
    p95 duration, runs per hour; the next 10 runs; the 10 most recent failures."""
    workspace = access.principal().workspace_id
    now = db_now()
    since = now - timedelta(hours=24)

    jobs_by_status: dict[str, int] = dict.fromkeys(JOB_STATUSES, 0)
    for status, count in db.session.execute(
        select(Job.status, func.count()).where(Job.workspace_id == workspace).group_by(Job.status)
    ):
        jobs_by_status[status] = count

    in_window = (
        Execution.workspace_id == workspace,
        Execution.scheduled_for > since,
        Execution.scheduled_for <= now,
    )
    # One pass over the window's rows (by ix_executions_workspace_due), grouped by hour and status,
    # gives the counts by status, the mean duration and the hourly buckets; the p95 is a second.
    # Both are computed by the database: a busy day is hundreds of thousands of rows, which must
    # not travel to Python (measured: 50,000 rows took 0.6 s that way).
    executions_24h: dict[str, int] = dict.fromkeys(EXECUTION_STATUSES, 0)
    first_hour = _hour(now) - timedelta(hours=23)
    buckets: list[dict[str, Any]] = [
        {"hour": first_hour + timedelta(hours=i), "succeeded": 0, "failed": 0} for i in range(24)
    ]
    first = int(first_hour.timestamp()) // 3600
    hour = _hour_number(Execution.scheduled_for)
    timed = 0
    total_ms = 0
    for number, status, count, durations, duration_sum in db.session.execute(
        select(
            hour,
            Execution.status,
            func.count(),
            func.count(Execution.duration_ms),
            func.sum(Execution.duration_ms),
        )
        .where(*in_window)
        .group_by(hour, Execution.status)
    ):
        executions_24h[status] = executions_24h.get(status, 0) + count
        if status in FINISHED:
            timed += durations
            total_ms += int(duration_sum or 0)
            index = int(number) - first
            if 0 <= index < 24:
                buckets[index][status] += count
    finished = executions_24h["succeeded"] + executions_24h["failed"]
    mean = total_ms / timed if timed else None
    p95_value = _p95((*in_window, Execution.status.in_(FINISHED)))

    upcoming = db.session.execute(
        select(Job.id, Job.name, Job.next_run_at, Job.timezone)
        .where(Job.workspace_id == workspace, Job.status == "active", Job.next_run_at.is_not(None))
        .order_by(Job.next_run_at, Job.id)
        .limit(10)
    ).all()
    failures = db.session.execute(
        select(Execution.id, Execution.job_id, Job.name, Execution.finished_at, Execution.error)
        .join(Job, Job.id == Execution.job_id)
        .where(Execution.workspace_id == workspace, Execution.status == "failed")
        .order_by(Execution.finished_at.desc().nulls_last(), Execution.id.desc())
        .limit(10)
    ).all()

    own_policy = db.session.scalar(
        select(func.count()).where(
            Job.workspace_id == workspace, (Job.keep_days.is_not(None)) | (Job.keep_last.is_not(None))
        )
    )
    return {
        "retention": {
            **retention.of_workspace(workspace).describe(),
            "jobs_with_own_policy": own_policy or 0,
        },
        "jobs_by_status": jobs_by_status,
        "executions_24h": executions_24h,
        "success_rate_24h": executions_24h["succeeded"] / finished if finished else None,
        "duration_ms_mean_24h": float(mean) if mean is not None else None,
        "duration_ms_p95_24h": p95_value,
        "upcoming": [
            {"job_id": id_, "name": name, "next_run_at": next_run_at, "timezone": zone}
            for id_, name, next_run_at, zone in upcoming
        ],
        "recent_failures": [
            {
                "execution_id": id_,
                "job_id": job_id,
                "job_name": name,
                "finished_at": finished_at,
                "error": error,
            }
            for id_, job_id, name, finished_at, error in failures
        ],
        "runs_by_hour_24h": buckets,
    }
