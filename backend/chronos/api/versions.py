"""Job history: every version of a job's definition, one version, and restoring one."""

from __future__ import annotations

from typing import Any, cast

from flask_smorest import Blueprint, abort
from marshmallow import ValidationError
from sqlalchemy import select

from .. import access
from ..extensions import db
from ..masking import MaskedCredentialError, unmask_data
from ..models import Job, JobVersion, db_now
from ..scheduling import lifecycle
from ..scheduling.lifecycle import JobStateError, NoSuchVersion
from ..schemas.common import PageQuerySchema
from ..schemas.jobs import JobSchema, job_values, validate_job
from ..schemas.teams import VersionDetailSchema, VersionPageSchema
from .auth import protected
from .jobs import owned_job, plan_soon, unmask
from .pagination import page_of

blp = Blueprint("versions", __name__, description="Job history: versions of a job's definition.")


def _version(job: Job, number: int) -> JobVersion:
    if not 0 < number <= lifecycle.MAX_VERSION:
        abort(404, message=f"Job {job.id} has no version {number}.")
    found = db.session.scalar(
        select(JobVersion).where(JobVersion.job_id == job.id, JobVersion.version == number)
    )
    if found is None:
        abort(404, message=f"Job {job.id} has no version {number}.")
    return cast(JobVersion, found)


@blp.route("/jobs/<int:job_id>/versions", methods=["GET"])
@protected(blp)
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, VersionPageSchema)
@blp.alt_response(404, response="NOT_FOUND")
def list_versions(args: dict[str, Any], job_id: int) -> dict[str, Any]:
    """The job's versions, newest first: who made each, when, and what changed."""
    job = owned_job(job_id)
    return page_of(
        select(JobVersion).where(JobVersion.job_id == job.id).order_by(JobVersion.version.desc()), args
    )


@blp.route("/jobs/<int:job_id>/versions/<int:version>", methods=["GET"])
@protected(blp)
@blp.response(200, VersionDetailSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_version(job_id: int, version: int) -> JobVersion:
    """The job's whole definition at that version (credentials masked)."""
    return _version(owned_job(job_id), version)


@blp.route("/jobs/<int:job_id>/versions/<int:version>/restore", methods=["POST"])
@protected(blp)
@blp.response(200, JobSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def restore_version(job_id: int, version: int) -> Job:
    """Make the job what it was at that version, saved as a new version. Masked credentials are
    taken from the job as it is now; a one-time job's past `run_at` is refused (422)."""
    job = owned_job(job_id)
    try:
        definition = lifecycle.version_definition(job, version)
    except NoSuchVersion as exc:
        abort(404, message=str(exc))
    current = job_values(job)
    changes = {
        name: value for name, value in definition.items() if name in current and value != current[name]
    }
    unmask(changes, job)
    if "payload" in changes:  # versions store payloads with secret-named keys masked
        try:
            changes["payload"] = unmask_data(changes["payload"], job.payload)
        except MaskedCredentialError as exc:
            abort(409, message=f"Version {version}'s payload: {exc}")
    try:
        values = validate_job({**current, **changes}, incoming=changes.keys())
    except ValidationError as err:
        abort(422, messages={"json": err.messages})
    try:
        lifecycle.edit(
            job, values, changes.keys(), None, db_now(), access.principal().actor, restored_from=version
        )
    except JobStateError as exc:
        abort(409, message=str(exc))
    db.session.commit()
    plan_soon(job)
    return job
