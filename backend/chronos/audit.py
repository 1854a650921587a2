"""The audit log and job history: who did what, written in the same transaction as the change.

`record` adds an AuditEvent to the session the change is in (the caller commits both at once, so a
change is never without its record, nor a record without its change); `snapshot` adds a JobVersion
with the job's whole definition. Both store credentials masked (`masking.mask_job_fields`). Nothing
here commits, and no route edits or deletes what is written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import select

from . import bulk
from .extensions import db
from .masking import mask_job_fields
from .models import AuditEvent, Job, JobVersion, utcnow


@dataclass(frozen=True)
class Actor:
    """Who acted: a user (by e-mail), an API key (by name and prefix), or Chronos itself."""

    type: str
    id: int | None
    label: str


SYSTEM = Actor("system", None, "Chronos")


def record(
    workspace_id: int,
    actor: Actor,
    action: str,
    target: tuple[str, int | None],
    changes: dict[str, Any] | None = None,
    job_id: int | None = None,
) -> AuditEvent:
    """Add an audit event to the open transaction; `changes` is {field: [before, after]}, masked here."""
    event = AuditEvent(**event_row(workspace_id, actor, action, target, changes, job_id))
    db.session.add(event)
    return event


def event_row(
    workspace_id: int,
    actor: Actor,
    action: str,
    target: tuple[str, int | None],
    changes: dict[str, Any] | None = None,
    job_id: int | None = None,
) -> dict[str, Any]:
    """An audit event's column values (credentials masked), for `record` or `record_many`."""
    in_request = has_request_context()
    return {
        "workspace_id": workspace_id,
        "at": utcnow(),
        "actor_type": actor.type,
        "actor_id": actor.id,
        "actor_label": actor.label[:400],
        "action": action,
        "target_type": target[0],
        "target_id": target[1],
        "job_id": job_id,
        "changes": mask_changes(changes or {}),
        "request_id": g.get("request_id") if in_request else None,
        "ip": (request.remote_addr or "")[:64] or None if in_request else None,
    }


def record_many(events: list[dict[str, Any]], versions: list[dict[str, Any]]) -> None:
    """Add many audit events (`event_row`) and job versions (`version_row`) to the open
    transaction at once (a batch of new jobs), as one write each."""
    bulk.insert_rows(JobVersion.__table__, versions)
    bulk.insert_rows(AuditEvent.__table__, events)


def _plain(value: Any) -> Any:
    """A JSON-ready value (instants as ISO 8601)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def mask_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """{field: [before, after]} with every credential in either side masked (the one rule)."""
    changes = {name: _plain(value) for name, value in changes.items()}
    pairs = {
        name: value for name, value in changes.items() if isinstance(value, (list, tuple)) and len(value) == 2
    }
    before = mask_job_fields({name: value[0] for name, value in pairs.items()})
    after = mask_job_fields({name: value[1] for name, value in pairs.items()})
    masked: dict[str, Any] = {name: [before[name], after[name]] for name in pairs}
    # Anything else (an invitation's e-mail and role, a key's name) is recorded as given, masked too.
    rest = mask_job_fields({name: value for name, value in changes.items() if name not in pairs})
    masked.update(rest)
    return masked


def definition(job: Job, fields: list[str]) -> dict[str, Any]:
    """The job's definition (the given user-settable fields) as JSON-ready values."""
    return {name: _plain(getattr(job, name)) for name in fields}


def snapshot(job: Job, actor: Actor, fields: list[str], changes: dict[str, Any]) -> JobVersion:
    """Add the job's definition at its current version to the open transaction (masked)."""
    version = JobVersion(**version_row(job, actor, fields, changes))
    db.session.add(version)
    return version


def version_row(job: Job, actor: Actor, fields: list[str], changes: dict[str, Any] | None) -> dict[str, Any]:
    """A job version's column values (credentials masked). `changes=None`: the job is new, and every
    field it sets changed from nothing (taken from the masked definition, not masked again)."""
    recorded = mask_job_fields(definition(job, fields))
    return {
        "job_id": job.id,
        "version": job.version,
        "at": utcnow(),
        "actor_type": actor.type,
        "actor_id": actor.id,
        "actor_label": actor.label[:400],
        "definition": recorded,
        "changes": (
            {name: [None, value] for name, value in recorded.items() if value is not None}
            if changes is None
            else mask_changes(changes)
        ),
    }


def has_version(job_id: int, version: int) -> bool:
    """Whether a job's version was recorded (jobs older than the history have none at first)."""
    found = db.session.execute(
        select(JobVersion.id).where(JobVersion.job_id == job_id, JobVersion.version == version)
    )
    return found.first() is not None
