"""Rows for engine tests, made directly with the models (the API is another suite's subject)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chronos.extensions import db
from chronos.models import Execution, Job, User, db_now


def make_user(email: str = "engine@example.com") -> User:
    user = db.session.query(User).filter_by(email=email).one_or_none()
    if user is None:
        user = User(email=email)
        user.set_password("correct horse battery")
        db.session.add(user)
        db.session.flush()
    return user


def make_job(**fields: Any) -> Job:
    """An active job; recurring every 60 s unless the fields say otherwise. Committed."""
    owner = make_user()
    values: dict[str, Any] = {
        "owner_id": owner.id, "name": "job", "job_type": "recurring", "schedule_type": "interval",
        "interval_seconds": 60, "handler": "log", "payload": {"hello": "world"}, "timezone": "UTC",
        "max_retries": 3, "retry_backoff_seconds": [1, 1], "timeout_seconds": 5,
    }
    values.update(fields)
    if values["schedule_type"] == "once":
        values["job_type"] = "one_time"
    job = Job(**values)
    db.session.add(job)
    db.session.commit()
    return job


def make_execution(job: Job, scheduled_for: datetime | None = None, **fields: Any) -> Execution:
    values: dict[str, Any] = {"job_id": job.id, "owner_id": job.owner_id, "job_version": job.version,
                              "scheduled_for": scheduled_for or db_now() - timedelta(seconds=1),
                              "trigger": "schedule", "status": "pending", "attempt": 0, "attempts": []}
    values.update(fields)
    execution = Execution(**values)
    db.session.add(execution)
    db.session.commit()
    return execution


def reload(obj: Any) -> Any:
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)
