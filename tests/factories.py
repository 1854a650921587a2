"""Rows made directly with the models, for tests whose subject is not the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask_jwt_extended import create_access_token

from chronos.extensions import db
from chronos.models import Execution, Job, User, db_now


def make_user(email: str = "engine@example.com") -> User:
    """The user with this e-mail, created (and committed) if there is none yet."""
    user = db.session.query(User).filter_by(email=email).one_or_none()
    if user is None:
        # Tests mint tokens directly, so no one logs in: skip the (deliberately slow) scrypt hash.
        user = User(email=email, password_hash="unusable")
        db.session.add(user)
        db.session.commit()
    return user


def token_headers(user: User) -> dict[str, str]:
    """An Authorization header with a fresh access token for `user`."""
    return {"Authorization": f"Bearer {create_access_token(identity=str(user.id))}"}


def make_job(owner: User | None = None, **fields: Any) -> Job:
    """An active job of `owner` (the default user); recurring every 60 s unless the fields say otherwise."""
    owner = owner or make_user()
    values: dict[str, Any] = {
        "owner_id": owner.id,
        "name": "job",
        "job_type": "recurring",
        "schedule_type": "interval",
        "interval_seconds": 60,
        "handler": "log",
        "payload": {"hello": "world"},
        "timezone": "UTC",
        "max_retries": 3,
        "retry_backoff_seconds": [1, 1],
        "timeout_seconds": 5,
    }
    values.update(fields)
    if values["schedule_type"] == "once":
        values["job_type"] = "one_time"
    job = Job(**values)
    db.session.add(job)
    db.session.commit()
    return job


def make_execution(job: Job, scheduled_for: datetime | None = None, **fields: Any) -> Execution:
    """A pending execution of `job`, due a second ago unless the fields say otherwise."""
    values: dict[str, Any] = {
        "job_id": job.id,
        "owner_id": job.owner_id,
        "job_version": job.version,
        "scheduled_for": scheduled_for or db_now() - timedelta(seconds=1),
        "trigger": "schedule",
        "status": "pending",
        "attempt": 0,
        "attempts": [],
    }
    values.update(fields)
    execution = Execution(**values)
    db.session.add(execution)
    db.session.commit()
    return execution


def reload(obj: Any) -> Any:
    """`obj` read again from the database."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def make_newsletter_job(owner: User, **fields: Any) -> Job:
    """The notification tests' job: a weekly newsletter (cron 09:00 on Mondays in New York) that calls
    an http target; `fields` change it."""
    values: dict[str, Any] = {
        "name": "Weekly Newsletter",
        "description": "Send newsletter every Monday",
        "schedule_type": "cron",
        "cron_expression": "0 9 * * 1",
        "interval_seconds": None,
        "timezone": "America/New_York",
        "handler": "http",
        "target": {"url": "http://127.0.0.1:9/newsletter", "method": "POST"},
        "payload": {"template": "weekly_digest"},
        "max_retries": 1,
        "retry_backoff_seconds": [1],
        "timeout_seconds": 30,
    }
    values.update(fields)
    return make_job(owner, **values)


_slot = [0]


def make_finished_execution(job: Job, **fields: Any) -> Execution:
    """A finished run of `job` (failed after 2 attempts unless the fields say otherwise), own slot each."""
    _slot[0] += 1
    scheduled = datetime(2026, 12, 7, 14, 0, tzinfo=UTC) + timedelta(seconds=_slot[0])
    values: dict[str, Any] = {
        "scheduled_for": scheduled,
        "status": "failed",
        "attempt": 2,
        "started_at": scheduled,
        "finished_at": scheduled + timedelta(seconds=62),
        "error": "HTTP 500 Internal Server Error",
        "result": {"http_status": 500, "url": "http://127.0.0.1:9/newsletter"},
    }
    values.update(fields)
    return make_execution(job, **values)
