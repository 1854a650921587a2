"""The channels a notice goes out on: SMTP e-mail (or the console in development) and webhooks."""
from __future__ import annotations

import base64
import json
import smtplib
import socket
import ssl
import sys
import threading
from email.message import EmailMessage
from typing import Any

from .. import masking
from ..extensions import db
from ..handlers import Call
from ..handlers.batch import run_one
from ..models import Execution, Job
from .messages import Facts, webhook_body

WEBHOOK_TIMEOUT_SECONDS = 10.0
# MAIL_CONSOLE output from several worker threads must not interleave.
_console_lock = threading.Lock()


class DeliveryError(Exception):
    """A send that did not go through; `retryable=False` records it `failed` at once."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


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
                            retryable=any(400 <= code < 500 for code in codes)) from exc
    except smtplib.SMTPResponseException as exc:
        # 4xx is "try again later"; 5xx (bad credentials, rejected sender) will not pass by itself.
        raise DeliveryError(f"{where} answered {exc.smtp_code} {_decode(exc.smtp_error)}",
                            retryable=exc.smtp_code < 500) from exc
    except (smtplib.SMTPException, OSError) as exc:  # OSError covers refused, reset and timeouts
        raise DeliveryError(f"{where} unavailable: {type(exc).__name__}: {exc}", retryable=True) from exc


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
    """POST the facts as JSON through the `http` handler (same address checks); DeliveryError on failure.

    It runs on the process's call loop (`handlers.batch`), in the same guarded, pooled session as
    the executions' own calls.
    """
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
    outcome = run_one(call)
    if not outcome.ok:
        raise DeliveryError(f"Webhook: {outcome.error or 'failed'}", retryable=outcome.retryable)


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
