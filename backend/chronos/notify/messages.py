"""What a notice says: the facts of an execution, formatted for people, as e-mail and webhook JSON."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from flask import current_app
from jinja2 import Environment, PackageLoader, select_autoescape

from ..extensions import db
from ..models import Execution, Notification
from ..scheduling.cron import describe_schedule, format_time, zone_or_utc
from .records import MAX_ERROR_CHARS

EVENTS = {"failure": "execution.failed", "recovery": "execution.recovered"}

_templates = Environment(
    loader=PackageLoader("chronos", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


class MissingExecution(LookupError):
    """The execution a notification is about no longer exists (deleted with its job)."""


@dataclass
class Facts:
    """Everything a notice says, already formatted for people."""

    kind: str
    event: str
    execution_id: int
    job_id: int
    job_name: str
    schedule: str
    timezone: str
    scheduled_for: str
    finished_at: str
    scheduled_for_utc: str | None
    finished_at_utc: str | None
    trigger: str
    status: str
    attempts: int
    error: str | None
    http_status: int | None
    link: str
    suppressed_count: int
    notification_id: int

    @property
    def subject(self) -> str:
        verb = "failed" if self.kind == "failure" else "recovered"
        return _one_line(f'[Chronos] Job "{self.job_name}" {verb}')

    @property
    def text_line(self) -> str:
        """One line for chat (Slack's `text`)."""
        if self.kind == "failure":
            detail = f"failed after {self.attempts} attempt{'s' if self.attempts != 1 else ''}"
            if self.error:
                detail += f": {_one_line(self.error)[:300]}"
        else:
            detail = "recovered: the latest run succeeded"
        extra = f" (+{self.suppressed_count} more failures not notified)" if self.suppressed_count else ""
        return f'[Chronos] Job "{_one_line(self.job_name)}" {detail}{extra} — {self.link}'


def facts_for(notification: Notification) -> Facts:
    """Everything the notice says about its execution, formatted in the job's zone."""
    execution = db.session.get(Execution, notification.execution_id)
    if execution is None:
        raise MissingExecution("The execution no longer exists.")
    job = execution.job
    zone = zone_or_utc(job.timezone)
    result = execution.result or {}
    http_status = result.get("http_status") if isinstance(result, dict) else None
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return Facts(
        kind=notification.kind, event=EVENTS[notification.kind], execution_id=execution.id, job_id=job.id,
        job_name=job.name, schedule=describe_schedule(job), timezone=job.timezone or "UTC",
        scheduled_for=format_time(execution.scheduled_for, zone),
        finished_at=format_time(execution.finished_at, zone),
        scheduled_for_utc=_iso(execution.scheduled_for), finished_at_utc=_iso(execution.finished_at),
        trigger=execution.trigger, status=execution.status, attempts=execution.attempt,
        error=(execution.error or None) and execution.error[:MAX_ERROR_CHARS],
        http_status=http_status if isinstance(http_status, int) else None,
        link=f"{base}/executions/{execution.id}", suppressed_count=notification.suppressed_count,
        notification_id=notification.id,
    )


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _one_line(text: str) -> str:
    # Header injection and chat formatting both need a single line.
    return " ".join(str(text).split())


def build_email(facts: Facts, recipient: str, config: Any) -> EmailMessage:
    """The multipart plain + HTML message of one notice to one recipient."""
    sender = config["SMTP_FROM"]
    message = EmailMessage()
    message["Subject"] = facts.subject
    message["From"] = sender
    message["To"] = _one_line(recipient)
    message["Date"] = formatdate(usegmt=True)
    # make_msgid would otherwise ask DNS for this host's name; the sender's domain is enough.
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "chronos.local")
    message["Auto-Submitted"] = "auto-generated"
    message["X-Chronos-Execution-Id"] = str(facts.execution_id)
    message["X-Chronos-Event"] = facts.event
    context = {"facts": facts}
    message.set_content(_templates.get_template("email/notification.txt").render(context))
    message.add_alternative(_templates.get_template("email/notification.html").render(context), subtype="html")
    return message


def webhook_body(facts: Facts) -> dict[str, Any]:
    """The webhook's JSON: a Slack-compatible `text` line and the same facts as the e-mail."""
    return {
        "text": facts.text_line,
        "event": facts.event,
        "job": {"id": facts.job_id, "name": facts.job_name, "schedule": facts.schedule,
                "timezone": facts.timezone},
        "execution": {"id": facts.execution_id, "status": facts.status, "trigger": facts.trigger,
                      "scheduled_for": facts.scheduled_for_utc, "finished_at": facts.finished_at_utc,
                      "attempts": facts.attempts, "error": facts.error, "http_status": facts.http_status,
                      "url": facts.link},
        "suppressed_count": facts.suppressed_count,
    }
