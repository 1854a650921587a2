"""Jobs: create, list, read, edit, pause/resume, run now, rotate the signing secret, delete."""

from __future__ import annotations

import logging
from typing import Any, cast

from flask_smorest import Blueprint, abort
from marshmallow import ValidationError
from sqlalchemy import select

from .. import access, bulk, tasks
from ..extensions import db
from ..masking import MaskedCredentialError, unmask_target, unmask_url
from ..models import Execution, Job, db_now
from ..scheduling import dependencies, lifecycle
from ..scheduling.dependencies import DependencyError
from ..scheduling.lifecycle import HasDependantsError, JobStateError
from ..schemas.executions import ExecutionPageSchema, ExecutionQuerySchema, ExecutionSchema
from ..schemas.jobs import (
    JobBatchResultSchema,
    JobBatchSchema,
    JobCreateSchema,
    JobDeleteQuerySchema,
    JobDetailSchema,
    JobGraphSchema,
    JobPageSchema,
    JobPatchSchema,
    JobQuerySchema,
    JobWithSecretSchema,
    RunNowSchema,
    job_values,
    validate_job,
)
from .auth import protected
from .executions import history
from .idempotent import REPLAYED_HEADER, create_once
from .pagination import page_of

log = logging.getLogger(__name__)
blp = Blueprint("jobs", __name__, description="Jobs: what runs, and when.")


def owned_job(job_id: int) -> Job:
    """The workspace's job, or 404 (also for another workspace's job)."""
    job = Job.owned(job_id, access.principal().workspace_id)
    if job is None:
        abort(404, message=f"Job {job_id} not found.")
    return cast(Job, job)


def plan_soon(job: Job) -> None:
    """Ask a worker to plan the job now; if the queue is down the periodic planner still will."""
    if job.status != "active" or job.next_run_at is None:
        return
    try:
        tasks.request_planning()
    except Exception:  # Redis only carries work in flight: the job row is the truth
        log.warning(
            "Could not queue planning for job %s; the periodic planner will plan it.", job.id, exc_info=True
        )


def _set_status(job: Job, status: str) -> None:
    """Pause or resume by the job's rules (no commit); 409 when its state does not allow it."""
    try:
        lifecycle.set_status(job, status, db_now(), access.principal().actor)
    except JobStateError as exc:
        abort(409, message=str(exc))


def unmask(changes: dict[str, Any], job: Job) -> None:
    """Put the stored credentials back where a PATCH sent their masks (as read from GET)."""
    try:
        if "target" in changes:
            changes["target"] = unmask_target(changes["target"], job.target)
    except MaskedCredentialError as exc:
        abort(422, messages={"json": {"target": {"url": [str(exc)]}}})
    try:
        if changes.get("notify_webhook_url"):
            changes["notify_webhook_url"] = unmask_url(changes["notify_webhook_url"], job.notify_webhook_url)
    except MaskedCredentialError as exc:
        abort(422, messages={"json": {"notify_webhook_url": [str(exc)]}})


def _refuse_run_after(exc: DependencyError) -> None:
    abort(422, messages={"json": {"run_after": {exc.field: [exc.message]}}})


@blp.route("/jobs", methods=["POST"])
@protected(blp)
@blp.arguments(
    JobCreateSchema,
    examples={
        "cron": {
            "summary": "A weekly cron job in a time zone",
            "value": {
                "name": "Weekly Newsletter",
                "description": "Send newsletter every Monday",
                "job_type": "recurring",
                "schedule_type": "cron",
                "cron_expression": "0 9 * * 1",
                "timezone": "Europe/Berlin",
                "payload": {"template": "weekly_digest"},
            },
        },
        "http": {
            "summary": "A one-time HTTP call",
            "value": {
                "name": "Ping",
                "job_type": "one_time",
                "schedule_type": "once",
                "run_at": "2030-01-01T09:00:00+01:00",
                "handler": "http",
                "target": {"url": "https://example.org/hook", "method": "POST"},
            },
        },
        "after": {
            "summary": "Runs after two other jobs succeeded (a fan-in)",
            "value": {
                "name": "Report",
                "schedule_type": "after",
                "run_after": {"jobs": [1, 2], "on": "success", "within_seconds": 3600},
            },
        },
        "interval": {
            "summary": "Every five minutes, retried twice",
            "value": {
                "name": "Sync",
                "schedule_type": "interval",
                "interval_seconds": 300,
                "max_retries": 2,
                "retry_backoff_seconds": [30, 120],
                "overlap_policy": "forbid",
            },
        },
    },
)
@blp.response(201, JobWithSecretSchema)
def create_job(data: dict[str, Any]) -> Any:
    """Create a job. The response carries its `signing_secret`, shown this once.

    With an `Idempotency-Key` header, a retry of the same request (same key, same body, within
    24 h) creates nothing and answers the job the first one created (header
    `Idempotent-Replayed: true`); the same key with a different body is a 422.
    """
    try:
        jobs, replayed = create_once("jobs.create", 201, lambda: _create([data]))
    except DependencyError as exc:
        db.session.rollback()
        _refuse_run_after(exc)
    if replayed:
        return jobs[0], 201, {REPLAYED_HEADER: "true"}
    plan_soon(jobs[0])
    return jobs[0]


def _create(items: list[dict[str, Any]]) -> list[Job]:
    """Insert the jobs with their first slots computed, and their ids (no commit).

    DependencyError carries the index of the item whose `run_after` is refused (`exc.index`).
    """
    principal, now = access.principal(), db_now()
    jobs = [Job(owner_id=principal.user_id, workspace_id=principal.workspace_id, **data) for data in items]
    bulk.reserve_job_ids(jobs)
    for index, job in enumerate(jobs):
        try:
            lifecycle.create(job, now)
        except DependencyError as exc:
            exc.index = index
            raise
    bulk.insert_jobs(jobs)
    lifecycle.created(jobs, principal.actor)
    return jobs


@blp.route("/jobs/batch", methods=["POST"])
@protected(blp)
@blp.arguments(JobBatchSchema)
@blp.response(201, JobBatchResultSchema)
def create_jobs_batch(data: dict[str, Any]) -> Any:
    """Create up to 1,000 jobs in one request, all or nothing.

    Each item is a job as for `POST /jobs`. If any item is invalid nothing is stored and the 422
    names each bad item by its index (`errors.jobs.<index>.<field>`). The response lists the jobs
    in the order sent, each with its `signing_secret` (shown this once). `Idempotency-Key` works
    as for `POST /jobs`.
    """
    try:
        jobs, replayed = create_once("jobs.batch", 201, lambda: _create(data["jobs"]))
    except DependencyError as exc:
        db.session.rollback()
        abort(422, messages={"json": {"jobs": {str(exc.index): {"run_after": {exc.field: [exc.message]}}}}})
    body = {"items": Job.with_triggers(jobs), "count": len(jobs)}
    if replayed:
        return body, 201, {REPLAYED_HEADER: "true"}
    if any(job.status == "active" and job.next_run_at is not None for job in jobs):
        plan_soon(jobs[0])
    return body


@blp.route("/jobs", methods=["GET"])
@protected(blp)
@blp.arguments(JobQuerySchema, location="query")
@blp.response(200, JobPageSchema)
def list_jobs(args: dict[str, Any]) -> dict[str, Any]:
    """The user's jobs, newest first; filter by `status`, search names with `q`."""
    statement = select(Job).where(Job.workspace_id == access.principal().workspace_id)
    if args.get("status"):
        statement = statement.where(Job.status == args["status"])
    if args.get("q"):
        # Escape LIKE's wildcards: a search for "50%" means the characters, not a pattern.
        needle = args["q"].lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(db.func.lower(Job.name).like(f"%{needle}%", escape="\\"))
    return page_of(statement.order_by(Job.created_at.desc(), Job.id.desc()), args)


@blp.route("/jobs/graph", methods=["GET"])
@protected(blp)
@blp.response(200, JobGraphSchema)
def job_graph() -> dict[str, Any]:
    """Which of your jobs run after which: the jobs in a dependency (nodes) and who runs after whom."""
    return dependencies.graph(access.principal().workspace_id)


@blp.route("/jobs/<int:job_id>", methods=["GET"])
@protected(blp)
@blp.response(200, JobDetailSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_job(job_id: int) -> Job:
    """One job, with the jobs that run after it (`triggers`)."""
    return owned_job(job_id)


@blp.route("/jobs/<int:job_id>", methods=["PATCH"])
@protected(blp)
@blp.arguments(
    JobPatchSchema,
    examples={
        "pause": {"summary": "Pause", "value": {"status": "paused"}},
        "reschedule": {
            "summary": "A new schedule",
            "value": {"schedule_type": "cron", "cron_expression": "*/15 * * * *", "timezone": "UTC"},
        },
    },
)
@blp.response(200, JobDetailSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def update_job(changes: dict[str, Any], job_id: int) -> Job:
    """Edit any field (including `status`: active | paused). The edited job is validated as a whole.

    Editing the schedule (type, expression, interval, run_at, time zone) recomputes `next_run_at`
    from now and cancels firings planned under the old schedule. A completed one-time job
    given a new `run_at` becomes active again.
    """
    job = owned_job(job_id)
    unmask(changes, job)
    status = changes.pop("status", None)
    try:
        values = validate_job({**job_values(job), **changes}, incoming=changes.keys())
    except ValidationError as err:
        abort(422, messages={"json": err.messages})
    try:
        lifecycle.edit(job, values, changes.keys(), status, db_now(), access.principal().actor)
    except JobStateError as exc:
        db.session.rollback()
        abort(409, message=str(exc))
    except DependencyError as exc:
        db.session.rollback()
        _refuse_run_after(exc)
    db.session.commit()
    plan_soon(job)
    return job


@blp.route("/jobs/<int:job_id>", methods=["DELETE"])
@protected(blp)
@blp.arguments(JobDeleteQuerySchema, location="query")
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def delete_job(args: dict[str, Any], job_id: int) -> None:
    """Delete a job.

    Its history goes with it (cascade): its executions, their logs and their notifications are
    deleted too. Firings already queued find no row and do nothing. A job other jobs run after is
    refused (409, naming them) unless `force=true`: then it is removed from their `run_after`, and
    a job left with no upstream job is paused.
    """
    try:
        lifecycle.delete_job(owned_job(job_id), access.principal().actor, force=args["force"])
    except HasDependantsError as exc:
        db.session.rollback()
        abort(409, message=str(exc), errors={"dependants": exc.names})
    db.session.commit()


@blp.route("/jobs/<int:job_id>/pause", methods=["POST"])
@protected(blp)
@blp.response(200, JobDetailSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def pause_job(job_id: int) -> Job:
    """Stop firing; a queued firing of a paused job is skipped."""
    job = owned_job(job_id)
    _set_status(job, "paused")
    db.session.commit()
    return job


@blp.route("/jobs/<int:job_id>/resume", methods=["POST"])
@protected(blp)
@blp.response(200, JobDetailSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def resume_job(job_id: int) -> Job:
    """Fire again; `next_run_at` is recomputed from now (missed slots are not replayed)."""
    job = owned_job(job_id)
    _set_status(job, "active")
    db.session.commit()
    plan_soon(job)
    return job


@blp.route("/jobs/<int:job_id>/execute", methods=["POST"])
@protected(blp)
@blp.arguments(
    RunNowSchema,
    required=False,
    examples={"override": {"summary": "Another payload, this run only", "value": {"payload": {"x": 1}}}},
)
@blp.response(202, ExecutionSchema)
@blp.alt_response(404, response="NOT_FOUND")
def execute_job(args: dict[str, Any], job_id: int) -> Execution:
    """Run the job once now, outside its schedule (trigger `manual`); an optional `payload` is sent
    instead of the job's, for this run only (stored on the execution)."""
    return tasks.trigger_manual(owned_job(job_id), access.principal().actor, (args or {}).get("payload"))


@blp.route("/jobs/<int:job_id>/rotate-secret", methods=["POST"])
@protected(blp)
@blp.response(200, JobWithSecretSchema)
@blp.alt_response(404, response="NOT_FOUND")
def rotate_secret(job_id: int) -> Job:
    """Replace the job's signing secret; the new one is shown this once."""
    job = owned_job(job_id)
    lifecycle.rotate_secret(job, access.principal().actor)
    db.session.commit()
    return job


@blp.route("/jobs/<int:job_id>/executions", methods=["GET"])
@protected(blp)
@blp.arguments(ExecutionQuerySchema, location="query")
@blp.response(200, ExecutionPageSchema)
@blp.alt_response(404, response="NOT_FOUND")
def list_job_executions(args: dict[str, Any], job_id: int) -> dict[str, Any]:
    """The job's executions, newest first; filter by `status`; planned slots not yet due only with
    `include=planned`."""
    job = owned_job(job_id)
    statement = history(select(Execution).where(Execution.job_id == job.id), args)
    return page_of(statement.order_by(Execution.id.desc()), args)
