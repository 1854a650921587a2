"""Huey tasks: thin; they take ids and call the planner, the executor and notify."""
from __future__ import annotations

from .extensions import huey


@huey.task()
def plan_job(job_id: int) -> None:
    """Plan one job's due slots now (after create, edit or resume)."""
    from .worker import app_context
    from .scheduling.planner import plan_due_jobs

    with app_context():
        plan_due_jobs(job_ids=[job_id])
