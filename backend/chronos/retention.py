"""Retention: executions (with their logs and notices) are kept by a policy, so nothing grows forever.

The policy, in one place — for each number the most specific setting wins (job, then workspace,
then instance):

* a job's finished executions are kept, by the age of their slot, the job's own `keep_days`;
  else its workspace's `retention_days`; else the instance's `RETENTION_DAYS` (default 30);
* failed executions are kept at least the workspace's `retention_failed_days`, else the instance's
  `RETENTION_FAILED_DAYS` (default 90), whatever the rules above and below say — failures are
  what people come back to look at;
* a job's `keep_last` also caps how many finished executions it keeps (the newest N);
* only finished rows are ever deleted (`succeeded`, `failed`, `skipped`, `cancelled`): a row still
  pending, waiting, running or retrying is never touched, whatever its age;
* 0 days keeps history forever, at either level: `RETENTION_DAYS=0` or a workspace's
  `retention_days: 0` (the job rules still apply); a failure-days of 0 keeps failures forever.
  A workspace's null (its default) follows the instance, number by number.

The purge is set-based: the instance default is one series of DELETEs over every job without its
own keep_days in every workspace without its own numbers; those workspaces (few) then each get
theirs, by their `workspace_id`; jobs with keep_days (few) each by their (job, slot) index; keep_last
by per-job cutoffs. It deletes at most `RETENTION_BATCH` rows per statement and commits after each,
so it never holds long locks nor one long transaction; a pass stops after `RETENTION_PASS_SECONDS`
and the next pass (every minute, on any consumer) goes on. Several consumers purging at once only
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
from .models import Execution, Job, Workspace

log = logging.getLogger(__name__)

FINISHED = ("succeeded", "failed", "skipped", "cancelled")
# keep_last cutoffs applied per DELETE statement (an OR of (job, cutoff) pairs, each on its index).
CUTOFFS_PER_STATEMENT = 200


@dataclass(frozen=True)
class Policy:
    """The days part of the policy: the instance's (from the settings), or a workspace's (`within`)."""

    days: int  # 0: keep forever
    failed_days: int  # 0: keep failures forever
    # Where each number comes from: "instance" or "workspace".
    days_from: str = "instance"
    failed_days_from: str = "instance"

    @classmethod
    def from_config(cls, config: Any = None) -> Policy:
        config = config if config is not None else current_app.config
        return cls(days=int(config["RETENTION_DAYS"]), failed_days=int(config["RETENTION_FAILED_DAYS"]))

    def within(self, days: int | None, failed_days: int | None) -> Policy:
        """This (instance) policy in a workspace with these numbers; None follows the instance's."""
        return Policy(
            days=self.days if days is None else days,
            failed_days=self.failed_days if failed_days is None else failed_days,
            days_from="instance" if days is None else "workspace",
            failed_days_from="instance" if failed_days is None else "workspace",
        )

    def describe(self) -> dict[str, Any]:
        return {
            "days": self.days or None,
            "failed_days": self.failed_days or None,
            "days_from": self.days_from,
            "failed_days_from": self.failed_days_from,
        }


def of_workspace(workspace_id: int, policy: Policy | None = None) -> Policy:
    """The days policy in force for the workspace's jobs without their own keep_days."""
    policy = policy or Policy.from_config()
    row = db.session.execute(
        select(Workspace.retention_days, Workspace.retention_failed_days).where(Workspace.id == workspace_id)
    ).one_or_none()
    return policy.within(*row) if row is not None else policy


@dataclass
class Purged:
    """What one pass deleted."""

    executions: int = 0
    idempotency_keys: int = 0
    finished: bool = True  # False: stopped by its time budget, more is left for the next pass
    by_rule: dict[str, int] = field(default_factory=dict)


def _failed_protected(now: datetime, failed_days: int) -> Any:
    """The rows no rule may delete yet: failures younger than the failure retention."""
    if not failed_days:
        return Execution.status == "failed"  # failures kept forever
    return and_(Execution.status == "failed", Execution.scheduled_for >= now - timedelta(days=failed_days))


def _delete_batch(where: Any, batch: int) -> int:
    ids = select(Execution.id).where(*where).limit(batch)
    result = db.session.execute(
        delete(Execution)
        .where(Execution.id.in_(ids.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def _keep_last_cutoffs(finished: Any) -> list[tuple[int, datetime, int | None]]:
    """(job id, the scheduled_for of its keep_last-th newest finished execution, its workspace's
    failure days) for every job with keep_last that has at least that many finished executions."""
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
        select(ranked.c.job_id, ranked.c.scheduled_for, Workspace.retention_failed_days)
        .join(Job, Job.id == ranked.c.job_id)
        .join(Workspace, Workspace.id == Job.workspace_id)
        .where(ranked.c.rank == Job.keep_last)
    ).all()
    return [(int(job_id), at, failed_days) for job_id, at, failed_days in rows]


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
    """One pass of the policy (`policy`: the instance's); commits after every batch."""
    config = current_app.config
    policy = policy or Policy.from_config(config)
    batch = batch or int(config["RETENTION_BATCH"])
    budget = budget_seconds if budget_seconds is not None else float(config["RETENTION_PASS_SECONDS"])
    deadline = time.monotonic() + budget
    done = Purged()

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
    with_own = select(Job.id).where(Job.keep_days.is_not(None))  # few: a small hashed set
    # Workspaces with a number of their own (few); the others follow the instance's policy.
    own_workspaces = {
        workspace_id: policy.within(days, failed_days)
        for workspace_id, days, failed_days in db.session.execute(
            select(Workspace.id, Workspace.retention_days, Workspace.retention_failed_days).where(
                or_(Workspace.retention_days.is_not(None), Workspace.retention_failed_days.is_not(None))
            )
        )
    }

    def failed_days_of(workspace_days: int | None) -> int:
        return policy.failed_days if workspace_days is None else workspace_days

    # 1. The instance default, for jobs without their own keep_days in workspaces without their own
    # numbers (uses ix_executions_status_due).
    if policy.days and not run(
        "days",
        [
            finished,
            Execution.scheduled_for < now - timedelta(days=policy.days),
            not_(_failed_protected(now, policy.failed_days)),
            Execution.job_id.not_in(with_own),
            Execution.workspace_id.not_in(list(own_workspaces)),
        ],
    ):
        return done
    # 2. Workspaces with their own numbers, each by its workspace_id.
    for workspace_id, own in own_workspaces.items():
        if not own.days:
            continue  # kept forever, but for the job rules below
        where = [
            Execution.workspace_id == workspace_id,
            finished,
            Execution.scheduled_for < now - timedelta(days=own.days),
            not_(_failed_protected(now, own.failed_days)),
            Execution.job_id.not_in(with_own),
        ]
        if not run("workspace_days", where):
            return done
    # 3. Jobs with their own keep_days: few, each by its (job, slot) index.
    own_days = db.session.execute(
        select(Job.id, Job.keep_days, Workspace.retention_failed_days)
        .join(Workspace, Workspace.id == Job.workspace_id)
        .where(Job.keep_days.is_not(None))
    ).all()
    for job_id, keep_days, failed_days in own_days:
        where = [
            Execution.job_id == job_id,
            finished,
            not_(_failed_protected(now, failed_days_of(failed_days))),
            Execution.scheduled_for < now - timedelta(days=keep_days or 0),
        ]
        if not run("keep_days", where):
            return done
    # 4. keep_last: each job's cutoff (its keep_last-th newest finished slot) in one query, then
    # the rows older than their job's cutoff, a batch at a time — grouped by the failure days that
    # protect them (the instance's, or a few workspaces' own).
    by_failed_days: dict[int, list[tuple[int, datetime]]] = {}
    for job_id, cutoff, failed_days in _keep_last_cutoffs(finished):
        by_failed_days.setdefault(failed_days_of(failed_days), []).append((job_id, cutoff))
    for failed_days, cutoffs in by_failed_days.items():
        protected = _failed_protected(now, failed_days)
        for start in range(0, len(cutoffs), CUTOFFS_PER_STATEMENT):
            chunk = cutoffs[start : start + CUTOFFS_PER_STATEMENT]
            older = or_(
                *(
                    and_(Execution.job_id == job_id, Execution.scheduled_for < cutoff)
                    for job_id, cutoff in chunk
                )
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
