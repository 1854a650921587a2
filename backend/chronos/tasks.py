"""Huey tasks: thin; they take ids and call the planner, the executor and notify."""
from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

from huey import crontab

from .extensions import huey


def _context() -> AbstractContextManager:
    """The caller's app context when there is one (in-process tests), else the worker's."""
    from flask import has_app_context

    if has_app_context():
        return nullcontext()
    from .worker import app_context

    return app_context()


@huey.task()
def plan_job(job_id: int) -> None:
    """Plan due jobs now (after a create, edit or resume of `job_id`, and any others due)."""
    from .scheduling.planner import plan_due_jobs

    with _context():
        plan_due_jobs()


@huey.task()
def run_executions(ids: list[int]) -> None:
    """Claim, run and record the executions of one instant (a batch of ids)."""
    from . import executor

    with _context():
        executor.run_executions(ids)


# Periodic passes run every minute (Huey's granularity); the planner's lookahead (90 s) covers
# the gap, and every pass is safe to run on many consumers at once.
@huey.periodic_task(crontab(minute="*"))
def plan_periodically() -> None:
    """Plan every due job's slots up to the lookahead horizon."""
    from .scheduling.planner import plan_due_jobs

    with _context():
        plan_due_jobs()


@huey.periodic_task(crontab(minute="*"))
def recover_periodically() -> None:
    """Re-queue lost firings and fail-and-retry attempts whose worker stopped responding."""
    from .scheduling.recovery import recover

    with _context():
        recover()


@huey.periodic_task(crontab(minute="7"))
def purge_revoked_tokens() -> None:
    """Hourly: drop revocation records of tokens past their expiry."""
    from .extensions import db
    from .models import RevokedToken, db_now

    with _context():
        RevokedToken.purge_expired(db_now())
        db.session.commit()


@huey.task()
def run_test_run(test_run_id: int) -> None:
    """Make a test run's call (the editor's "Test run") and record what happened."""
    from . import testruns

    with _context():
        testruns.run(test_run_id)


@huey.periodic_task(crontab(minute="*/5"))
def purge_test_runs() -> None:
    """Fail test runs nobody picked up (dropping their secrets) and delete old ones."""
    from . import testruns

    with _context():
        testruns.purge()


# --- notifications ---
# Owned by the notifications work (notify.py); the engine calls notify.execution_failed /
# execution_recovered, which only enqueue `deliver_notifications`.

@huey.task()
def deliver_notifications(execution_id: int, kind: str) -> None:
    """Record an execution's failure or recovery notifications once and send them."""
    from . import notify

    with _context():
        notify.deliver(execution_id, kind)


@huey.task()
def send_notification(notification_id: int) -> None:
    """Send (or retry) one recorded notification, if it is still pending."""
    from . import notify

    with _context():
        notify.send(notification_id)


@huey.periodic_task(crontab(minute="*"))
def sweep_notifications() -> None:
    """Re-queue notifications whose task was lost (Redis lost, worker killed mid-send)."""
    from . import notify

    with _context():
        notify.sweep()
