"""The planner: turns jobs' schedules into execution rows (one per slot) and queues them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete

from ..extensions import db
from ..models import Execution, Job
from .cron import next_firings


def schedule_job(job: Job, now: datetime, *, edited: bool = False) -> None:
    """Recompute a job's next_run_at from `now` (on create, resume and schedule edits); no commit.

    An edit bumps the job's version and drops its planned, not yet claimed slots, so the new
    schedule is planned afresh and a firing queued under the old one finds nothing to run.
    """
    if edited:
        job.version = (job.version or 1) + 1
        if job.id is not None:
            db.session.execute(delete(Execution).where(
                Execution.job_id == job.id, Execution.status == "pending",
                Execution.trigger == "schedule", Execution.scheduled_for > now))
    job.planned_until = None
    if job.status != "active":
        job.next_run_at = None
        return
    job.next_run_at = None  # interval schedules restart one interval from now
    firings = next_firings(job, now, 1)
    job.next_run_at = firings[0] if firings else None


def request_planning(job_id: int) -> None:
    """Ask a worker to plan this job now, so a slot due in seconds is not kept for the periodic pass."""
    from ..tasks import plan_job

    plan_job(job_id)
