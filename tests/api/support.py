"""Helpers for the API tests: the seed job, and history rows inserted directly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chronos.extensions import db
from chronos.models import Execution, ExecutionLog, Job

API = "/api/v1"

SEED = {
    "name": "Weekly Newsletter",
    "description": "Send newsletter every Monday",
    "job_type": "recurring",
    "schedule_type": "cron",
    "cron_expression": "0 9 * * 1",
    "payload": {"template": "weekly_digest"},
}


def future(**delta: float) -> str:
    """An ISO 8601 instant (with offset) this far from now."""
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def create_job(client, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post(f"{API}/jobs", json={**SEED, **overrides}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def add_execution(
    job_id: int,
    *,
    status: str = "succeeded",
    trigger: str = "schedule",
    scheduled_for: datetime | None = None,
    duration_ms: int | None = None,
    **fields: Any,
) -> Execution:
    """Insert an execution row for a job as the engine would have left it."""
    job = db.session.get(Job, job_id)
    when = scheduled_for or datetime.now(UTC) - timedelta(minutes=5)
    finished = status in ("succeeded", "failed", "skipped", "cancelled")
    execution = Execution(
        job_id=job.id,
        owner_id=job.owner_id,
        job_version=job.version,
        scheduled_for=when,
        trigger=trigger,
        status=status,
        attempt=fields.pop("attempt", 1 if finished else 0),
        started_at=when if finished else None,
        finished_at=when + timedelta(milliseconds=duration_ms or 0) if finished else None,
        duration_ms=duration_ms,
        attempts=fields.pop("attempts", []),
        **fields,
    )
    db.session.add(execution)
    db.session.commit()
    return execution


def add_log(
    execution: Execution, message: str, *, attempt: int = 1, level: str = "info", data: dict | None = None
) -> ExecutionLog:
    line = ExecutionLog(execution_id=execution.id, attempt=attempt, level=level, message=message, data=data)
    db.session.add(line)
    db.session.commit()
    return line
