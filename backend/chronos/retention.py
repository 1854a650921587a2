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
next pass (every minute, on any consumer) goes on. Several consumers purging at once only
delete the same rows once. Idempotency keys past their 24 hours go in the same pass. After a pass
that deleted at least `RETENTION_VACUUM_ROWS` rows, PostgreSQL's tables are vacuumed, so the space
is reused at once and the database stays the same size while the rows do.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, delete, func, not_, or_, select, text

from . import idempotency
from .extensions import db
from .models import Execution, Job

log = logging.getLogger(__name__)

FINISHED = ("succeeded", "failed", "skipped", "cancelled")
# keep_last cutoffs applied per DELETE statement (an OR of (job, cutoff) pairs, each on its index).
CUTOFFS_PER_STATEMENT = 200


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


def _delete_batch(where: Any, batch: int) -> int:
    ids = select(Execution.id).where(*where).limit(batch)
    result = db.session.execute(
        delete(Execution)
        .where(Execution.id.in_(ids.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def _keep_last_cutoffs(finished: Any) -> list[tuple[int, datetime]]:
    """(job id, the scheduled_for of its keep_last-th newest finished execution) for every job with
    keep_last that has at least that many finished executions."""
    ranked = (
        select(
            Execution.job_id,
            Execution.scheduled_for,
            func.row_number()
            .over(
                partition_by=Execution.job_id,
                order_by=(Execution.scheduled_for.desc(), Execution.id.desc()),
            )
            .label("rank"),
        )
        .where(finished, Execution.job_id.in_(select(Job.id).where(Job.keep_last.is_not(None))))
        .subquery()
    )
    rows = db.session.execute(
        select(ranked.c.job_id, ranked.c.scheduled_for)
        .join(Job, Job.id == ranked.c.job_id)
        .where(ranked.c.rank == Job.keep_last)
    ).all()
    return [(int(job_id), at) for job_id, at in rows]


def _vacuum() -> None:
    """After a large purge on PostgreSQL, make the freed space reusable now.

    Autovacuum would, in time — but it may lag behind a busy day or be switched off, and until it
    runs the tables keep growing although the rows do not. A plain VACUUM takes no lock that
    blocks reads or writes; SKIP_LOCKED lets a second consumer's pass skip a table being vacuumed.
    """
    if db.engine.dialect.name != "postgresql":
        return
    try:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(
                text("VACUUM (SKIP_LOCKED, ANALYZE) executions, execution_logs, notifications")
            )
    except Exception:
        log.warning("Retention: VACUUM after the purge failed.", exc_info=True)


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

    def run(rule: str, where: list[Any]) -> bool:
        """Delete batches until none is left; False when the time budget ran out first."""
        while True:
            count = _delete_batch(where, batch)
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
        with_own = select(Job.id).where(Job.keep_days.is_not(None))  # few: a small hashed set
        if not run(
            "days",
            [finished, Execution.scheduled_for < cutoff, not_(protected), Execution.job_id.not_in(with_own)],
        ):
            return done
    # 2. Jobs with their own keep_days: few, each by its (job, slot) index.
    own_days = db.session.execute(select(Job.id, Job.keep_days).where(Job.keep_days.is_not(None))).all()
    for job_id, keep_days in own_days:
        where = [Execution.job_id == job_id, finished, not_(protected)]
        if not run("keep_days", [*where, Execution.scheduled_for < now - timedelta(days=keep_days or 0)]):
            return done
    # 3. keep_last: each job's cutoff (its keep_last-th newest finished slot) in one query, then
    # the rows older than their job's cutoff, a batch at a time.
    cutoffs = _keep_last_cutoffs(finished)
    for start in range(0, len(cutoffs), CUTOFFS_PER_STATEMENT):
        chunk = cutoffs[start : start + CUTOFFS_PER_STATEMENT]
        older = or_(
            *(and_(Execution.job_id == job_id, Execution.scheduled_for < cutoff) for job_id, cutoff in chunk)
        )
        if not run("keep_last", [finished, not_(protected), older]):
            return done
    done.idempotency_keys = idempotency.purge(now, batch)
    db.session.commit()
    if done.executions >= int(config["RETENTION_VACUUM_ROWS"]):
        _vacuum()
    if done.executions:
        log.info("Retention: deleted %d finished executions %s.", done.executions, done.by_rule)
    return done
