"""Misfires: when a slot counts as missed, and which missed slot (if any) still runs.

A slot whose first attempt would start more than `MISFIRE_GRACE_SECONDS` after its time was missed
(every consumer down, the planner down). The planner applies this to slots it never planned, and
the claim applies it to slots that were planned (and queued) before the outage: both ask this
module, so a slot is missed or not by one rule wherever it is found.

The job's `misfire_policy` then decides: `skip` runs none of its missed slots; `run_once` runs one
catch-up — the newest missed slot of the job — and none of the older ones. Every missed slot that
does not run is recorded as `skipped` with reason `missed`, never dropped silently.

Why the grace is larger than the safety sync's period: a firing whose task Redis lost is found and
queued again by the sync within `SAFETY_SYNC_SECONDS` + `RECOVERY_GRACE_SECONDS`; it must still run
then (losing Redis loses no firing), so only a longer delay counts as a misfire.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from .. import bulk
from ..extensions import db
from ..models import Execution

# Triggers whose slot belongs to the job's schedule (a manual run is never missed).
SCHEDULED_TRIGGERS = ("schedule", "catch_up")


def missed_before(now: datetime) -> datetime:
    """Slots earlier than this instant are missed if they have not started yet."""
    return now - timedelta(seconds=int(current_app.config["MISFIRE_GRACE_SECONDS"]))


def is_missed(trigger: str, first_run: bool, scheduled_for: datetime, now: datetime) -> bool:
    """True for a scheduled slot not run yet (no finished attempt) that would start later than the grace."""
    return trigger in SCHEDULED_TRIGGERS and first_run and scheduled_for < missed_before(now)


def newest_missed_slots(job_ids: list[int], now: datetime) -> dict[int, datetime]:
    """Per job, its newest slot row older than the grace: the one `run_once` lets run.

    Call it while holding the jobs' row locks, so a planner adding a catch-up slot for the same
    outage (it holds them too) has committed it before this reads.
    """
    if not job_ids:
        return {}
    rows = db.session.execute(
        select(Execution.job_id, func.max(Execution.scheduled_for))
        .where(
            bulk.among(Execution.job_id, job_ids),
            Execution.trigger.in_(SCHEDULED_TRIGGERS),
            Execution.scheduled_for < missed_before(now),
        )
        .group_by(Execution.job_id)
    ).all()
    return {job_id: newest for job_id, newest in rows}


def runs_as_catch_up(policy: str, scheduled_for: datetime, newest: datetime | None) -> bool:
    """Whether a missed slot runs: only under `run_once`, and only the job's newest missed slot."""
    return policy == "run_once" and (newest is None or scheduled_for >= newest)
