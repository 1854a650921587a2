"""Test runs: try an unsaved job's action once, before saving it. A worker makes the call, never the web."""

from __future__ import annotations

import logging
from typing import Any, cast

from flask import current_app
from flask_smorest import Blueprint, abort

from .. import access, tasks
from ..extensions import db, limiter
from ..masking import MaskedCredentialError, unmask_target
from ..models import Job, TestRun, db_now
from ..schemas.jobs import TestRunCreateSchema, TestRunSchema
from ..testruns import give_up
from .auth import protected

log = logging.getLogger(__name__)
blp = Blueprint("test_runs", __name__, description="Test runs: an action tried once, before saving the job.")

QUEUE_DOWN = "Could not queue the test run: the queue is unreachable."


def _limit() -> str:
    return str(current_app.config["TEST_RUN_RATE_LIMIT"])


@blp.route("/test-runs", methods=["POST"])
@protected(blp)
@limiter.limit(_limit)
@blp.arguments(TestRunCreateSchema)
@blp.response(202, TestRunSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def create_test_run(data: dict[str, Any]) -> TestRun:
    """Queue one run of the action (handler, target, payload, timeout) for a worker; 202 with its id.

    Poll `GET /test-runs/{id}` for the outcome. With `job_id` (a saved job being edited) '****'
    header values mean the job's stored ones. Limited per user (TEST_RUN_RATE_LIMIT).
    """
    principal = access.principal()
    job = None
    if data.get("job_id") is not None:
        job = Job.owned(data["job_id"], principal.workspace_id)
        if job is None:
            abort(404, message=f"Job {data['job_id']} not found.")
    target = data.get("target")
    if job is not None and target:
        try:
            target = unmask_target(target, job.target)
        except MaskedCredentialError as exc:
            abort(422, messages={"json": {"target": {"url": [str(exc)]}}})
    test_run = TestRun(
        owner_id=principal.user_id,
        workspace_id=principal.workspace_id,
        job_id=job.id if job else None,
        name=data["name"] or (job.name if job else "Test run"),
        handler=data["handler"],
        target=target,
        payload=data.get("payload"),
        timeout_seconds=data["timeout_seconds"],
        status="pending",
        logs=[],
    )
    db.session.add(test_run)
    db.session.commit()
    try:
        tasks.run_test_run(test_run.id)
    except Exception:  # Redis only carries work in flight: say so on the row
        log.warning("Could not queue test run %s.", test_run.id, exc_info=True)
        give_up(test_run, QUEUE_DOWN, db_now())
        db.session.commit()
    return test_run


@blp.route("/test-runs/<int:test_run_id>", methods=["GET"])
@protected(blp)
@blp.response(200, TestRunSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_test_run(test_run_id: int) -> TestRun:
    """One of the user's test runs: pending, running, or its outcome with the handler's log lines."""
    test_run = TestRun.owned(test_run_id, access.principal().workspace_id)
    if test_run is None:
        abort(404, message=f"Test run {test_run_id} not found.")
    return cast(TestRun, test_run)
