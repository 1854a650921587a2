"""The `Idempotency-Key` header on the creating routes: run once, answer the same on a retry."""

from __future__ import annotations

from collections.abc import Callable

from flask import request
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import access, idempotency
from ..extensions import db
from ..idempotency import IdempotencyError
from ..models import Job

REPLAYED_HEADER = "Idempotent-Replayed"


def _refuse(exc: IdempotencyError) -> None:
    abort(422, messages={"headers": {idempotency.HEADER: [str(exc)]}})


def _replayed(job_ids: list[int], workspace_id: int) -> list[Job]:
    jobs = db.session.scalars(select(Job).where(Job.id.in_(job_ids), Job.workspace_id == workspace_id)).all()
    by_id = {job.id: job for job in jobs}
    missing = [job_id for job_id in job_ids if job_id not in by_id]
    if missing:
        abort(
            409,
            message=f"The job(s) this {idempotency.HEADER} created have since been deleted: "
            + ", ".join(str(i) for i in missing[:10])
            + ". Use a new key to create them again.",
        )
    return [by_id[job_id] for job_id in job_ids]


def create_once(route: str, status_code: int, create: Callable[[], list[Job]]) -> tuple[list[Job], bool]:
    """Run `create` (which adds and flushes jobs, no commit) and commit, once per key.

    Returns the jobs and whether they are a replay of an earlier request with the same key.
    Without the header this is just create + commit.
    """
    try:
        key = idempotency.check_key(request.headers.get(idempotency.HEADER))
    except IdempotencyError as exc:
        _refuse(exc)
    if key is None:
        jobs = create()
        db.session.commit()
        return jobs, False

    # A key belongs to the workspace (as an account's key does): any member or key retrying it there
    # gets the same answer; the same key in another workspace is another request.
    workspace = access.principal().workspace_id
    scope = f"workspace:{workspace}"
    print_ = idempotency.fingerprint(route, request.get_json(silent=True))
    try:
        prior = idempotency.find(scope, key, route, print_)
    except IdempotencyError as exc:
        _refuse(exc)
    if prior is not None:
        return _replayed(prior.job_ids, workspace), True

    jobs = create()
    idempotency.remember(scope, key, route, print_, status_code, [job.id for job in jobs])
    try:
        db.session.commit()
    except IntegrityError:
        # Another request with this key committed first: answer what it made.
        db.session.rollback()
        try:
            prior = idempotency.find(scope, key, route, print_)
        except IdempotencyError as exc:
            _refuse(exc)
        if prior is None:
            raise
        return _replayed(prior.job_ids, workspace), True
    return jobs, False
