"""Retention: executions (with their logs and notices) are kept by a policy, so nothing grows forever.

The policy, in one place:

* every job's finished executions are kept `RETENTION_DAYS` (default 30) by the age of their slot;
  a job's own `keep_days` replaces that number for the job;
* failed executions are kept at least `RETENTION_FAILED_DAYS` (default 90), whatever the rules
  above and below say — failures are what people come back to look at;
* a job's `keep_last` also caps how many finished executions it keeps (the newest N);
* only finished rows are ever deleted (`succeeded`, `failed`, `skipped`, `cancelled`): a row still
  pending, waiting, running or retrying is never touched, whatever its age;
* `RETENTION_DAYS=0` keeps history forever (the job rules still apply).

The purge deletes at most `RETENTION_BATCH` rows per statement and commits after each, so it never
holds long locks nor one long transaction; a pass stops after `RETENTION_PASS_SECONDS` and the
next pass (every few minutes, on any consumer) goes on. Several consumers purging at once only
delete the same rows once. Idempotency keys past their 24 hours go in the same pass.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, delete, not_, or_, select

from . import idempotency
from .extensions import db
from .models import Execution, Job

log = logging.getLogger(__name__)

FINISHED = ("succeeded", "failed", "skipped", "cancelled")


@dataclass(frozen=True)
class Policy:
    """The instance-wide part of the policy, from the settings."""

    days: int  # 0: keep forever
    failed_days: int

    @classmethod
    def from_config(cls, config: Any = None) -> Policy:
        config = config if config is not None else current_app.config
        return cls(days=int(config["RETENTION_DAYS"]), failed_days=int(config["RETENTION_FAILED_DAYS"]))

    def describe(self) -> dict[str, Any]:
        return {"days": self.days or None, "failed_days": self.failed_days or None}


@dataclass
class Purged:
    """What one pass deleted."""

    executions: int = 0
    idempotency_keys: int = 0
    finished: bool = True  # False: stopped by its time budget, more is left for the next pass
    by_rule: dict[str, int] = field(default_factory=dict)


def _failed_protected(failed_cutoff: datetime | None) -> Any:
    """The rows no rule may delete yet: failures younger than the failure retention."""
    if failed_cutoff is None:
        return Execution.status == "failed"  # failures kept forever
    return and_(Execution.status == "failed", Execution.scheduled_for >= failed_cutoff)


def _delete_batch(where: Any, batch: int, order: Any = None) -> int:
    ids = select(Execution.id).where(*where).limit(batch)
    if order is not None:
        ids = ids.order_by(*order)
    result = db.session.execute(
        delete(Execution)
        .where(Execution.id.in_(ids.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def purge(
    now: datetime,
    policy: Policy | None = None,
    *,
    batch: int | None = None,
    budget_seconds: float | None = None,
) -> Purged:
    """One pass of the policy; commits after every batch."""
    config = current_app.config
    policy = policy or Policy.from_config(config)
    batch = batch or int(config["RETENTION_BATCH"])
    budget = budget_seconds if budget_seconds is not None else float(config["RETENTION_PASS_SECONDS"])
    deadline = time.monotonic() + budget
    done = Purged()
    failed_cutoff = now - timedelta(days=policy.failed_days) if policy.failed_days else None
    protected = _failed_protected(failed_cutoff)

    def run(rule: str, where: list[Any], order: Any = None) -> bool:
        """Delete batches until none is left; False when the time budget ran out first."""
        while True:
            count = _delete_batch(where, batch, order)
            done.executions += count
            done.by_rule[rule] = done.by_rule.get(rule, 0) + count
            if count < batch:
                return True
            if time.monotonic() > deadline:
                done.finished = False
                return False

    finished = Execution.status.in_(FINISHED)
    # 1. The instance default, for jobs without their own keep_days (uses ix_executions_status_due).
    if policy.days:
        cutoff = now - timedelta(days=policy.days)
        own_days = select(Job.id).where(Job.keep_days.is_not(None))  # few: a small hashed set
        if not run(
            "days",
            [finished, Execution.scheduled_for < cutoff, not_(protected), Execution.job_id.not_in(own_days)],
        ):
            return done
    # 2. Jobs with their own keep_days or keep_last: few, each by its (job, slot) index.
    custom = db.session.execute(
        select(Job.id, Job.keep_days, Job.keep_last).where(
            or_(Job.keep_days.is_not(None), Job.keep_last.is_not(None))
        )
    ).all()
    for job_id, keep_days, keep_last in custom:
        base = [Execution.job_id == job_id, finished, not_(protected)]
        if keep_days and not run(
            "keep_days", [*base, Execution.scheduled_for < now - timedelta(days=keep_days)]
        ):
            return done
        if keep_last:
            newest = (
                select(Execution.scheduled_for)
                .where(Execution.job_id == job_id, finished)
                .order_by(Execution.scheduled_for.desc(), Execution.id.desc())
                .offset(keep_last - 1)
                .limit(1)
                .scalar_subquery()
            )
            if not run("keep_last", [*base, Execution.scheduled_for < newest]):
                return done
    done.idempotency_keys = idempotency.purge(now, batch)
    db.session.commit()
    if done.executions:
        log.info("Retention: deleted %d finished executions %s.", done.executions, done.by_rule)
    return done
