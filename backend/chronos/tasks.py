"""The queue boundary: every Huey task, and every enqueue. Nothing else in Chronos talks to Huey.

Tasks take ids, never objects, and are safe to run twice (delivery can repeat). Each task body is
thin: it calls the engine — the planner, the executor, the safety sync, notifications, test runs —
which only reads and writes rows and returns what it leaves for the queue; the task queues that
once the rows are committed. The web process enqueues through the same helpers (a job created,
resumed or run now). Tasks run in an app context: the consumer (`worker.py`) pushes one around
each task, and in-process callers (tests, the web) already have theirs.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from huey import crontab

from . import executor, notify, retention, sync, testruns
from .audit import SYSTEM, Actor
from .executor import FollowUps
from .extensions import db, huey
from .models import Backfill, Execution, Job, RevokedToken, db_now
from .scheduling import backfills, planner

log = logging.getLogger(__name__)

# Slots of one dispatch window travel in tasks of at most this many ids.
BATCH_SIZE = 500
# A window's task is put on Huey's schedule this much before the window opens: enough for the
# consumer's scheduler tick and the claim, so the first call can leave on time.
ENQUEUE_EARLY = timedelta(seconds=0.2)
# Planning requests (job created, edited, resumed) within this many seconds share one task;
# a request closer than the margin to that task's run gets a task of its own.
PLAN_COALESCE_SECONDS = 0.25
PLAN_MARGIN_SECONDS = 0.05


# --- enqueueing ----------------------------------------------------------------------------------


def enqueue_executions(items: list[tuple[int, datetime]]) -> None:
    """Queue execution ids: one task per dispatch window (chunked), due a moment before it opens.

    Slots due within one window (`DISPATCH_WINDOW_SECONDS`) travel together; the task claims them
    all early and the consumer's event loop sends each at its own instant, so no worker thread
    waits for an instant (see executor.run_executions).
    """
    window = float(current_app.config["DISPATCH_WINDOW_SECONDS"])
    by_window: dict[float, list[int]] = defaultdict(list)
    for execution_id, when in items:
        by_window[math.floor(when.timestamp() / window) * window].append(execution_id)
    for start, ids in sorted(by_window.items()):
        opens = datetime.fromtimestamp(start, UTC)
        for chunk_start in range(0, len(ids), BATCH_SIZE):
            chunk = ids[chunk_start : chunk_start + BATCH_SIZE]
            try:
                run_executions.schedule(args=(chunk, start), eta=opens - ENQUEUE_EARLY)
            except Exception:  # Redis down: the rows are committed, the safety sync queues them later
                log.exception("Could not queue executions %s; the safety sync will.", chunk)


def queue_followups(followups: FollowUps) -> None:
    """Queue what a step of the engine left: executions to run, and failure or recovery notices."""
    if followups.runs:
        enqueue_executions(followups.runs)
    for execution_id, kind in [
        *((i, "failure") for i in followups.failed),
        *((i, "recovery") for i in followups.recovered),
    ]:
        try:
            deliver_notifications(execution_id, kind)
        except Exception:
            # The queue being unreachable must not fail a recorded result; the notification sweep
            # finds failed executions without notification rows and queues them again.
            log.exception("Could not queue %s notifications for execution %s", kind, execution_id)


def request_planning() -> None:
    """Ask a worker to plan now, so a slot due in seconds is not kept for the periodic pass.

    The planning task runs a moment later and plans every due job, and while one is pending in
    this process no other is queued: a burst of jobs created through the API is planned a few
    hundred at a time, so slots due at one instant travel in large batches, not a task per job.
    """
    global _planning_at
    with _planning_lock:
        now = time.time()
        # A pending task plans everything committed before it runs; this job already is.
        if _planning_at - now > PLAN_MARGIN_SECONDS:
            return
        _planning_at = now + PLAN_COALESCE_SECONDS
    try:
        plan.schedule(delay=PLAN_COALESCE_SECONDS)
    except Exception:
        with _planning_lock:  # nothing is pending after all: the next request tries again
            _planning_at = 0.0
        raise


_planning_lock = threading.Lock()
_planning_at = 0.0  # when the planning task last queued by this process runs (epoch seconds)


# --- the engine, then the queue --------------------------------------------------------------------


def plan_now(job_ids: list[int] | None = None) -> int:
    """Plan every due job (or only `job_ids`) and queue the new slots; how many rows were inserted."""
    planned = planner.plan_due_jobs(job_ids)
    enqueue_executions(planned.runs)
    return planned.inserted


def sync_now() -> sync.Synced:
    """Run a safety-sync pass and queue what it found."""
    synced = sync.sync()
    queue_followups(synced.followups)
    return synced


def trigger_manual(job: Job, actor: Actor = SYSTEM, payload: Any = None) -> Execution:
    """Run a job once now, outside its schedule (optionally with another payload): its `manual`
    execution, committed and queued."""
    execution = planner.trigger_manual(job, actor, payload)
    enqueue_executions([(execution.id, execution.scheduled_for)])
    return execution


def rerun(execution: Execution, actor: Actor = SYSTEM) -> Execution:
    """Run an execution again now: a new `rerun` execution, committed and queued."""
    again = planner.rerun(execution, actor)
    enqueue_executions([(again.id, again.scheduled_for)])
    return again


def start_backfill(job: Job, start: datetime, end: datetime, max_concurrency: int) -> Backfill:
    """Create a backfill's executions (committed) and queue its first ones; the rest follow as they finish."""
    backfill, runs = backfills.create(job, start, end, max_concurrency, db_now())
    enqueue_executions(runs)
    return backfill


def put_back(worker: str) -> list[int]:
    """Hand a stopping consumer's running executions back to the queue; their ids."""
    followups = sync.put_back_running(worker)
    queue_followups(followups)
    return [execution_id for execution_id, _ in followups.runs]


@huey.task()
def plan() -> None:
    """Plan due jobs now (after a job is created, edited or resumed)."""
    plan_now()


@huey.task()
def run_executions(ids: list[int], window_start: float | None = None) -> None:
    """Claim, run and record the executions of one dispatch window (its ids, and the window's slots)."""
    start = datetime.fromtimestamp(window_start, UTC) if window_start is not None else None
    queue_followups(executor.run_executions(ids, start))


# Periodic passes run every minute (Huey's granularity); the planner's lookahead (90 s) covers
# the gap, and every pass is safe to run on many consumers at once. The consumer also runs the
# safety sync more often than this on its own (worker.py).
@huey.periodic_task(crontab(minute="*"))
def plan_periodically() -> None:
    """Plan every due job's slots up to the lookahead horizon."""
    plan_now()


@huey.periodic_task(crontab(minute="*"))
def sync_periodically() -> None:
    """Re-queue lost firings and fail-and-retry attempts whose worker stopped responding."""
    sync_now()


@huey.periodic_task(crontab(minute="7"))
def purge_revoked_tokens() -> None:
    """Hourly: drop revocation records of tokens past their expiry."""
    RevokedToken.purge_expired(db_now())
    db.session.commit()


@huey.periodic_task(crontab(minute="*"))
def purge_history() -> None:
    """Every minute: delete finished executions past their retention, in small batches (a pass
    stops after RETENTION_PASS_SECONDS; at a few hundred firings a second the purge must keep pace
    every minute, not fall behind for five)."""
    retention.purge(db_now())


# --- test runs ---------------------------------------------------------------------------------------


@huey.task()
def run_test_run(test_run_id: int) -> None:
    """Make a test run's call (the editor's "Test run") and record what happened."""
    testruns.run(test_run_id)


@huey.periodic_task(crontab(minute="*/5"))
def purge_test_runs() -> None:
    """Fail test runs nobody picked up (dropping their secrets) and delete old ones."""
    testruns.purge()


# --- notifications -----------------------------------------------------------------------------------


def _schedule_sends(retries: list[tuple[int, float]]) -> None:
    for notification_id, delay in retries:
        send_notification.schedule(args=(notification_id,), delay=delay)


@huey.task()
def deliver_notifications(execution_id: int, kind: str) -> None:
    """Record an execution's failure or recovery notifications once and send them."""
    _schedule_sends(notify.deliver(execution_id, kind))


@huey.task()
def send_notification(notification_id: int) -> None:
    """Send (or retry) one recorded notification, if it is still pending."""
    sent = notify.send(notification_id)
    if sent.retry_in is not None:
        _schedule_sends([(notification_id, sent.retry_in)])


@huey.periodic_task(crontab(minute="*"))
def sweep_notifications() -> dict[str, int]:
    """Re-queue notifications whose task was lost (Redis lost, worker killed mid-send)."""
    swept = notify.sweep()
    for notification_id in swept.sends:
        send_notification(notification_id)
    for execution_id in swept.deliveries:
        deliver_notifications(execution_id, "failure")
    return swept.counts
