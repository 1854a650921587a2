"""Test runs: an unsaved job's action, run once by a worker so the editor can show what it does.

The web process only records the request and queues its id; a worker claims the row (one
conditional UPDATE, so a repeated delivery does nothing), makes the call with the same handlers
and address rules as an execution (`handlers.batch`), and records the outcome. A receiver can
tell a test call from a real one: it carries ``X-Chronos-Execution-Id: 0`` and
``X-Chronos-Attempt: 0``, which no execution has. Secret header values stay in the row only until
the run is over; then the target is stored masked. A test run nobody picked up in time is never
run late, and old test runs are purged.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, update

from . import executor, masking
from .extensions import db
from .handlers import Call, Outcome
from .handlers.batch import run_one
from .models import Job, TestRun, db_now, utcnow

log = logging.getLogger(__name__)

MAX_LOG_LINES = 200
NOT_PICKED_UP = "No worker picked this test run up within {minutes} min; is a worker running?"
WORKER_STOPPED = "The worker stopped during the test run."


def run(test_run_id: int) -> None:
    """Claim a pending test run, make its call, record what happened (safe to deliver twice)."""
    now = db_now()
    wait = timedelta(seconds=current_app.config["TEST_RUN_MAX_WAIT_SECONDS"])
    # A test run nobody picked up in time is not run late: its user has moved on.
    claimed = db.session.execute(
        update(TestRun)
        .where(TestRun.id == test_run_id, TestRun.status == "pending", TestRun.created_at >= now - wait)
        .values(status="running", started_at=now, worker=executor.worker_name[:128])
        .returning(TestRun.id)
        .execution_options(synchronize_session=False)
    ).first()
    if claimed is None:
        db.session.commit()
        return
    test_run = db.session.get(TestRun, test_run_id)
    assert test_run is not None
    job = Job.owned(test_run.job_id, test_run.workspace_id) if test_run.job_id else None
    lines: list[dict[str, Any]] = []

    def keep(level: str, message: str, data: dict[str, Any] | None = None) -> None:
        if len(lines) < MAX_LOG_LINES:
            lines.append(
                {"timestamp": utcnow().isoformat(), "level": level, "message": message, "data": data}
            )

    call = Call(
        execution_id=0,
        job_id=test_run.job_id or 0,
        job_name=test_run.name,
        attempt=0,
        scheduled_for=now,
        trigger="test",
        handler=test_run.handler,
        target=test_run.target,
        payload=test_run.payload,
        timeout_seconds=float(test_run.timeout_seconds),
        # A saved job's own secret, so its receiver can check the signature; an unsaved job
        # has none yet.
        signing_secret=job.signing_secret if job else secrets.token_urlsafe(32),
        log=keep,
    )
    target = test_run.target
    db.session.commit()  # nothing is held while the call is made

    started = time.monotonic()
    try:
        outcome = run_one(call)  # on the process's call loop, as an execution's calls are
    except Exception as exc:  # the machinery broke: the test run fails, the worker goes on
        log.exception("Test run %s could not run.", test_run_id)
        outcome = Outcome(ok=False, error=f"Internal error running the handler: {exc}")
    duration_ms = int((time.monotonic() - started) * 1000)
    # What is kept is masked as an execution's record is: no credential the call carried stays.
    secret_values = masking.target_secrets(target) | {call.signing_secret}
    error = masking.scrub(outcome.error, secret_values) if outcome.error else outcome.error
    db.session.execute(
        update(TestRun)
        .where(TestRun.id == test_run_id, TestRun.status == "running")
        .values(
            status="succeeded" if outcome.ok else "failed",
            finished_at=db_now(),
            duration_ms=duration_ms,
            result=masking.scrub_data(outcome.result, secret_values),
            error=error,
            logs=masking.scrub_data(lines, secret_values),
            target=masking.mask_target(target),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    log.info("Test run %s %s.", test_run_id, "succeeded" if outcome.ok else f"failed: {outcome.error}")


def give_up(test_run: TestRun, error: str, now: datetime) -> None:
    """Fail a test run that will not run, and drop its secrets (no commit)."""
    test_run.status = "failed"
    test_run.error = error
    test_run.finished_at = now
    test_run.target = masking.mask_target(test_run.target)


def purge() -> None:
    """Fail test runs that waited or ran too long (their secrets dropped); delete old ones."""
    now = db_now()
    config = current_app.config
    wait = timedelta(seconds=config["TEST_RUN_MAX_WAIT_SECONDS"])
    stale = db.session.scalars(
        select(TestRun)
        .where(
            ((TestRun.status == "pending") & (TestRun.created_at < now - wait))
            | (
                (TestRun.status == "running")
                & (TestRun.started_at < now - timedelta(seconds=config["MAX_TIMEOUT_SECONDS"]) - wait)
            )
        )
        .order_by(TestRun.id)
        .limit(1000)
    ).all()
    for test_run in stale:
        give_up(
            test_run,
            NOT_PICKED_UP.format(minutes=max(1, round(wait.total_seconds() / 60)))
            if test_run.status == "pending"
            else WORKER_STOPPED,
            now,
        )
    db.session.execute(
        delete(TestRun).where(TestRun.created_at < now - timedelta(hours=config["TEST_RUN_RETENTION_HOURS"]))
    )
    db.session.commit()
