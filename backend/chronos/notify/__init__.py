"""Failure and recovery notifications: one recorded row per (execution, channel, recipient, kind).

`tasks.py` queues `deliver` for an execution that finally failed (or recovered). `deliver` records
the rows first (`records.py`: exactly once, throttled) and then sends only the rows it claims,
through the channels (`channels.py`) with the message built from the execution's facts
(`messages.py`). A send that fails for a reason that may pass (SMTP down, webhook 5xx) goes back to
`pending`, and its retry — after `NOTIFY_RETRY_BACKOFF_SECONDS` — is returned for the queue; when
those run out it is recorded `failed` with the error. Like the executor, this package touches only
rows: what it leaves for the queue it returns.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app

from ..extensions import db
from ..models import Notification
from .channels import DeliveryError, sanitize, send_email, send_webhook
from .messages import MissingExecution, build_email, facts_for, webhook_body
from .records import KINDS, Swept, claim, mark_failed, mark_sent, recipients, record_notifications, sweep

__all__ = ["KINDS", "DeliveryError", "Sent", "Swept", "build_email", "deliver", "recipients",
           "record_notifications", "sanitize", "send", "sweep", "webhook_body"]

log = logging.getLogger(__name__)


@dataclass
class Sent:
    """What one send came to: the row's new status (None: another caller had claimed it), and
    the delay before its retry when it goes back to `pending`."""

    status: str | None
    retry_in: float | None = None


def deliver(execution_id: int, kind: str) -> list[tuple[int, float]]:
    """Record an execution's notifications and send each one this call claims; the retries to queue
    as (notification id, delay in seconds)."""
    retries = []
    for notification_id in record_notifications(execution_id, kind):
        sent = send(notification_id)
        if sent.retry_in is not None:
            retries.append((notification_id, sent.retry_in))
    return retries


def send(notification_id: int) -> Sent:
    """Send one notification if this call claims it."""
    if not claim(notification_id):
        return Sent(None)
    notification = db.session.get(Notification, notification_id)
    if notification is None:
        return Sent(None)
    db.session.refresh(notification)
    config = current_app.config
    try:
        facts = facts_for(notification)
        if notification.channel == "email":
            send_email(build_email(facts, notification.recipient, config), config)
        elif notification.channel == "webhook":
            send_webhook(facts, notification.recipient, config, attempt=notification.tries)
        else:
            raise DeliveryError(f"Unknown channel {notification.channel!r}.", retryable=False)
    except Exception as exc:  # noqa: BLE001 (every failure is recorded on the row, never raised)
        retryable = exc.retryable if isinstance(exc, DeliveryError) else False
        message = str(exc) if isinstance(exc, DeliveryError | MissingExecution) else f"{type(exc).__name__}: {exc}"
        status, retry_in = mark_failed(notification, sanitize(message, config), retryable)
        return Sent(status, retry_in)
    mark_sent(notification_id)
    log.info("Notification %s (%s, %s) sent for execution %s", notification_id, notification.channel,
             notification.kind, notification.execution_id)
    return Sent("sent")
