"""Failure and recovery notifications: one recorded row per (execution, channel, recipient, kind).

The engine calls `execution_failed` / `execution_recovered`; they only enqueue a Huey task. The task
(`deliver`) records the rows first — the unique constraint `uq_notifications_once` is what makes a
notice exactly-once however often the task is delivered — and then sends only the rows it claims
with a conditional UPDATE (`pending` → `sending`). A send that fails for a reason that may pass
(SMTP down, webhook 5xx) goes back to `pending` and is retried with `NOTIFY_RETRY_BACKOFF_SECONDS`;
when those run out it is recorded `failed` with the error.

Throttling: per job, channel and recipient at most one failure notice per `NOTIFY_THROTTLE_SECONDS`;
inside the window the row is recorded `suppressed`, and the next one sent carries how many were
suppressed since the last one (`suppressed_count`).
"""
from __future__ import annotations

import asyncio
import base64
import json
import logging
import smtplib
import socket
import ssl
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import func, select, update

from . import masking
from .extensions import db
from .models import Execution, Job, Notification, User, db_now, insert_for_dialect

log = logging.getLogger(__name__)

KINDS = ("failure", "recovery")
EVENTS = {"failure": "execution.failed", "recovery": "execution.recovered"}
# Rows that count as "a notice went out (or is going out)" for the throttle window.
_THROTTLE_ANCHORS = ("pending", "sending", "sent")
# The sweep leaves a row this long past its due time before deciding its task was lost.
SWEEP_GRACE_SECONDS = 60
# Failed executions older than this are not notified late by the sweep (no spam after an upgrade).
SWEEP_LOOKBACK = timedelta(hours=1)
WEBHOOK_TIMEOUT_SECONDS = 10.0
MAX_ERROR_CHARS = 2000

_templates = Environment(
    loader=PackageLoader("chronos", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
# MAIL_CONSOLE output from several worker threads must not interleave.
_console_lock = threading.Lock()


class DeliveryError(Exception):
    """A send that did not go through; `retryable=False` records it `failed` at once."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


# --- the contract with the engine -------------------------------------------------------------

def execution_failed(execution_id: int) -> None:
    """Queue the failure notifications of an execution that ended `failed` (only enqueues)."""
    _enqueue(execution_id, "failure")


def execution_recovered(execution_id: int) -> None:
    """Queue the recovery notifications of an execution that succeeded after a failure (only enqueues)."""
    _enqueue(execution_id, "recovery")


def _enqueue(execution_id: int, kind: str) -> None:
    from .tasks import deliver_notifications

    try:
        deliver_notifications(execution_id, kind)
    except Exception:
        # The queue being unreachable must not fail the engine's result write; the periodic
        # sweep finds failed executions that have no notification rows and queues them again.
        log.exception("Could not queue %s notifications for execution %s", kind, execution_id)


# --- recording ---------------------------------------------------------------------------------

def recipients(job: Job, owner_email: str) -> list[tuple[str, str]]:
    """(channel, recipient) pairs for a job: its e-mails or the owner's, plus its webhook."""
    emails: list[str] = []
    seen: set[str] = set()
    for address in job.notify_emails or [owner_email]:
        address = address.strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            emails.append(address)
    pairs = [("email", address) for address in emails]
    if job.notify_webhook_url:
        pairs.append(("webhook", job.notify_webhook_url))
    return pairs


def _wanted(execution: Execution, job: Job, kind: str) -> bool:
    if kind == "failure":
        return execution.status == "failed" and job.notify_on_failure
    if kind == "recovery":
        return execution.status == "succeeded" and job.notify_on_recovery
    return False


def record_notifications(execution_id: int, kind: str) -> list[int]:
    """Insert the execution's notification rows once; return the ids still `pending` (to send)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    execution = db.session.get(Execution, execution_id)
    if execution is None:  # deleted with its job: nobody to tell
        return []
    # Serialise the throttle decision per job: two executions of one job failing at the same
    # moment must not both find the window empty. The lock is held only until the commit below.
    job = db.session.scalar(select(Job).where(Job.id == execution.job_id).with_for_update())
    if job is None or not _wanted(execution, job, kind):
        if execution.status not in ("failed", "succeeded"):
            log.warning("Execution %s is %s, not final: no %s notification", execution_id,
                        execution.status, kind)
        db.session.commit()
        return []
    owner_email = db.session.scalar(select(User.email).where(User.id == job.owner_id)) or ""
    now = db_now()
    window = int(current_app.config["NOTIFY_THROTTLE_SECONDS"])
    for channel, recipient in recipients(job, owner_email):
        status, suppressed_count = "pending", 0
        if kind == "failure":
            status, suppressed_count = _throttle(job.id, execution.id, channel, recipient, now, window)
        _insert_once({
            "execution_id": execution.id, "job_id": job.id, "owner_id": job.owner_id,
            "channel": channel, "kind": kind, "recipient": recipient, "status": status,
            "tries": 0, "suppressed_count": suppressed_count, "created_at": now,
        })
    db.session.commit()
    return list(db.session.scalars(
        select(Notification.id).where(Notification.execution_id == execution.id, Notification.kind == kind,
                                      Notification.status == "pending").order_by(Notification.id)))


def _throttle(job_id: int, execution_id: int, channel: str, recipient: str, now: datetime,
              window: int) -> tuple[str, int]:
    """('suppressed', 0) inside the window of the last notice; else ('pending', suppressed since it)."""
    same = (Notification.job_id == job_id, Notification.channel == channel,
            Notification.recipient == recipient, Notification.kind == "failure",
            Notification.execution_id != execution_id)
    if window > 0:
        last_at = db.session.scalar(select(func.max(Notification.created_at)).where(
            *same, Notification.status.in_(_THROTTLE_ANCHORS)))
        if last_at is not None and last_at > now - timedelta(seconds=window):
            return "suppressed", 0
    last_unsuppressed = db.session.scalar(select(func.max(Notification.id)).where(
        *same, Notification.status != "suppressed")) or 0
    count = db.session.scalar(select(func.count()).select_from(Notification).where(
        *same, Notification.status == "suppressed", Notification.id > last_unsuppressed)) or 0
    return "pending", int(count)


def _insert_once(values: dict[str, Any]) -> None:
    """INSERT … ON CONFLICT DO NOTHING on (execution, channel, recipient, kind)."""
    statement = insert_for_dialect(Notification).values(**values).on_conflict_do_nothing(
        index_elements=["execution_id", "channel", "recipient", "kind"])
    db.session.execute(statement)


# --- sending -----------------------------------------------------------------------------------

def deliver(execution_id: int, kind: str) -> list[int]:
    """Record an execution's notifications and send each one this call claims; returns their ids."""
    claimed = []
    for notification_id in record_notifications(execution_id, kind):
        if send(notification_id) is not None:
            claimed.append(notification_id)
    return claimed


def claim(notification_id: int) -> bool:
    """Move a row `pending` → `sending`; True only for the one caller whose UPDATE matched."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.status == "pending")
        .values(status="sending", tries=Notification.tries + 1, claimed_at=db_now())
        .execution_options(synchronize_session=False))
    db.session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def send(notification_id: int) -> str | None:
    """Send one notification if this call claims it; returns its new status (None: not ours)."""
    if not claim(notification_id):
        return None
    notification = db.session.get(Notification, notification_id)
    if notification is None:
        return None
    db.session.refresh(notification)
    config = current_app.config
    try:
        facts = _facts(notification)
        if notification.channel == "email":
            send_email(build_email(facts, notification.recipient, config), config)
        elif notification.channel == "webhook":
            send_webhook(facts, notification.recipient, config, attempt=notification.tries)
        else:
            raise DeliveryError(f"Unknown channel {notification.channel!r}.", retryable=False)
    except Exception as exc:  # noqa: BLE001 (every failure is recorded on the row, never raised)
        retryable = exc.retryable if isinstance(exc, DeliveryError) else False
        message = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
        return _record_failure(notification, sanitize(message, config), retryable)
    db.session.execute(
        update(Notification).where(Notification.id == notification_id, Notification.status == "sending")
        .values(status="sent", sent_at=db_now(), error=None)
        .execution_options(synchronize_session=False))
    db.session.commit()
    log.info("Notification %s (%s, %s) sent for execution %s", notification_id, notification.channel,
             notification.kind, notification.execution_id)
    return "sent"


def _record_failure(notification: Notification, error: str, retryable: bool) -> str:
    backoff = list(current_app.config["NOTIFY_RETRY_BACKOFF_SECONDS"])
    tries = notification.tries
    will_retry = retryable and tries <= len(backoff)
    status = "pending" if will_retry else "failed"
    db.session.execute(
        update(Notification).where(Notification.id == notification.id, Notification.status == "sending")
        .values(status=status, error=error[:MAX_ERROR_CHARS])
        .execution_options(synchronize_session=False))
    db.session.commit()
    if will_retry:
        delay = backoff[tries - 1]
        log.warning("Notification %s try %s failed, retrying in %s s: %s", notification.id, tries, delay, error)
        from .tasks import send_notification

        send_notification.schedule(args=(notification.id,), delay=delay)
    else:
        log.warning("Notification %s failed after %s tries: %s", notification.id, tries, error)
    return status


def sanitize(text: str, config: Any) -> str:
    """The text with the SMTP password (plain and as SMTP AUTH sends it, base64) masked."""
    password = config.get("SMTP_PASSWORD")
    if not password:
        return text
    username = config.get("SMTP_USERNAME") or ""
    forms = {password,
             base64.b64encode(password.encode()).decode(),
             base64.b64encode(f"\0{username}\0{password}".encode()).decode()}
    return masking.scrub(text, forms, min_chars=1)  # an operator's password is masked however short


# --- what the notice says ----------------------------------------------------------------------

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


def _facts(notification: Notification) -> Facts:
    execution = db.session.get(Execution, notification.execution_id)
    if execution is None:
        raise DeliveryError("The execution no longer exists.", retryable=False)
    job = execution.job
    zone = _zone(job.timezone)
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


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):  # a zone gone from tzdata since the job was saved
        return ZoneInfo("UTC")


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _one_line(text: str) -> str:
    # Header injection and chat formatting both need a single line.
    return " ".join(str(text).split())


def format_time(value: datetime | None, zone: ZoneInfo) -> str:
    """'Mon 07 Dec 2026 09:00:00 EST (UTC-05:00)' in the job's zone; '—' for no time."""
    if value is None:
        return "—"
    local = value.astimezone(zone)
    offset = int((local.utcoffset() or timedelta()).total_seconds()) // 60
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset), 60)
    return f"{local:%a %d %b %Y %H:%M:%S} {local.tzname()} (UTC{sign}{hours:02d}:{minutes:02d})"


_NICKNAMES = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
              "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
              "@hourly": "0 * * * *"}


def describe_schedule(job: Job) -> str:
    """The job's schedule in words: 'At 09:00, only on Monday (Europe/Berlin)', 'Every 5 minutes'."""
    zone = job.timezone or "UTC"
    if job.schedule_type == "cron" and job.cron_expression:
        expression = _NICKNAMES.get(job.cron_expression.strip().lower(), job.cron_expression)
        try:
            from cron_descriptor import Options, get_description

            options = Options()
            options.use_24hour_time_format = True
            words = get_description(expression, options)
        except Exception:  # noqa: BLE001 (an expression the describer cannot read: show it as written)
            words = f"Cron {job.cron_expression}"
        return f"{words} ({zone}) — cron {job.cron_expression}"
    if job.schedule_type == "interval" and job.interval_seconds:
        return f"Every {_duration(job.interval_seconds)}"
    if job.schedule_type == "once":
        return f"Once, at {format_time(job.run_at, _zone(zone))}"
    return job.schedule_type


def _duration(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return unit if count == 1 else f"{count} {unit}s"
    return "second" if seconds == 1 else f"{seconds} seconds"


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


# --- channels ----------------------------------------------------------------------------------

def send_email(message: EmailMessage, config: Any) -> None:
    """Hand the message to the SMTP server (or print it with MAIL_CONSOLE); DeliveryError on failure."""
    if config.get("MAIL_CONSOLE"):
        _print_to_console(message)
        return
    host = config.get("SMTP_HOST")
    if not host:
        raise DeliveryError("SMTP not configured: set SMTP_HOST (or MAIL_CONSOLE=true for development).",
                            retryable=False)
    port = int(config.get("SMTP_PORT") or 25)
    timeout = float(config.get("SMTP_TIMEOUT_SECONDS") or 10)
    where = f"SMTP {host}:{port}"
    # Named for EHLO up front: left to itself smtplib asks DNS for this host's full name.
    local_hostname = config.get("SMTP_LOCAL_HOSTNAME") or socket.gethostname()
    # Certificates are always verified: against the system's CAs, or a private relay's own CA.
    tls = ssl.create_default_context(cafile=config.get("SMTP_CA_FILE") or None)
    try:
        if config.get("SMTP_SSL"):
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, local_hostname=local_hostname, timeout=timeout,
                                                  context=tls)
        else:
            smtp = smtplib.SMTP(host, port, local_hostname=local_hostname, timeout=timeout)
        with smtp:
            if config.get("SMTP_STARTTLS") and not config.get("SMTP_SSL"):
                smtp.starttls(context=tls)
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{rcpt}: {code} {_decode(text)}" for rcpt, (code, text) in exc.recipients.items())
        raise DeliveryError(f"{where} refused the recipient: {detail}",
                            retryable=any(400 <= code < 500 for code in codes))
    except smtplib.SMTPResponseException as exc:
        # 4xx is "try again later"; 5xx (bad credentials, rejected sender) will not pass by itself.
        raise DeliveryError(f"{where} answered {exc.smtp_code} {_decode(exc.smtp_error)}",
                            retryable=exc.smtp_code < 500)
    except (smtplib.SMTPException, OSError) as exc:  # OSError covers refused, reset and timeouts
        raise DeliveryError(f"{where} unavailable: {type(exc).__name__}: {exc}", retryable=True)


def _decode(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _print_to_console(message: EmailMessage) -> None:
    # The development fallback: the plain-text part is what a developer wants to read.
    plain = message.get_body(preferencelist=("plain",))
    body = plain.get_content() if plain is not None else ""  # type: ignore[attr-defined]
    headers = "\n".join(f"{name}: {message[name]}" for name in ("From", "To", "Subject", "Date"))
    with _console_lock:
        sys.stdout.write(f"{'-' * 72}\n{headers}\n\n{body}\n(HTML alternative not shown)\n{'-' * 72}\n")
        sys.stdout.flush()


def send_webhook(facts: Facts, url: str, config: Any, attempt: int = 1) -> None:
    """POST the facts as JSON through the `http` handler (same address checks); DeliveryError on failure."""
    from .handlers import Call, run_calls

    # The job's own signing secret signs the body, so a receiver can verify it as it does the job's calls.
    job = db.session.get(Job, facts.job_id)
    execution = db.session.get(Execution, facts.execution_id)
    assert job is not None and execution is not None
    call = Call(
        execution_id=facts.execution_id, job_id=facts.job_id, job_name=facts.job_name,
        attempt=attempt, scheduled_for=execution.scheduled_for, trigger=execution.trigger, handler="http",
        target={"url": url, "method": "POST", "headers": {"Content-Type": "application/json"},
                "body": json.dumps(webhook_body(facts))},
        payload=None,
        timeout_seconds=float(config.get("NOTIFY_WEBHOOK_TIMEOUT_SECONDS") or WEBHOOK_TIMEOUT_SECONDS),
        signing_secret=job.signing_secret,
    )
    outcome = asyncio.run(run_calls([call]))[0]
    if not outcome.ok:
        raise DeliveryError(f"Webhook: {outcome.error or 'failed'}", retryable=outcome.retryable)


# --- the sweep: work whose Huey task was lost --------------------------------------------------

def sweep() -> dict[str, int]:
    """Re-queue notifications whose task was lost (Redis lost, worker killed); periodic."""
    from .tasks import deliver_notifications, send_notification

    config = current_app.config
    now = db_now()
    grace = timedelta(seconds=SWEEP_GRACE_SECONDS)
    counts = {"abandoned": 0, "pending": 0, "unrecorded": 0}

    # 1. `sending` long after the claim: the worker died mid-send. Put back, conditionally.
    stale = now - grace - timedelta(seconds=3 * float(config["SMTP_TIMEOUT_SECONDS"]))
    abandoned = list(db.session.execute(select(Notification.id, Notification.claimed_at).where(
        Notification.status == "sending", Notification.claimed_at < stale).limit(500)))
    for notification_id, claimed_at in abandoned:
        result = db.session.execute(
            update(Notification).where(Notification.id == notification_id, Notification.status == "sending",
                                       Notification.claimed_at == claimed_at)
            .values(status="pending").execution_options(synchronize_session=False))
        counts["abandoned"] += result.rowcount  # type: ignore[attr-defined]
    db.session.commit()

    # 2. `pending` and overdue: never claimed, or its retry task was lost.
    backoff = list(config["NOTIFY_RETRY_BACKOFF_SECONDS"]) or [0]
    rows = db.session.execute(select(Notification.id, Notification.tries, Notification.created_at,
                                     Notification.claimed_at).where(
        Notification.status == "pending", Notification.created_at < now - grace).limit(500))
    for notification_id, tries, created_at, claimed_at in rows:
        due = created_at if not tries or claimed_at is None else \
            claimed_at + timedelta(seconds=backoff[min(tries - 1, len(backoff) - 1)])
        if due < now - grace:
            send_notification(notification_id)
            counts["pending"] += 1

    # 3. Failed executions with no notification rows at all: their deliver task was lost.
    missing = db.session.scalars(
        select(Execution.id).join(Job, Job.id == Execution.job_id).where(
            Execution.status == "failed", Job.notify_on_failure.is_(True),
            Execution.finished_at > now - SWEEP_LOOKBACK, Execution.finished_at < now - grace,
            ~select(Notification.id).where(Notification.execution_id == Execution.id,
                                           Notification.kind == "failure").exists())
        .limit(500))
    for execution_id in missing:
        deliver_notifications(execution_id, "failure")
        counts["unrecorded"] += 1
    db.session.commit()
    if any(counts.values()):
        log.info("Notification sweep re-queued %s", counts)
    return counts
