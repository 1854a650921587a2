"""SMTP unavailable: the failure is recorded, a retry is scheduled with backoff, then `sent` or `failed`."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from chronos import tasks
from chronos.extensions import db, huey
from chronos.models import Notification
from chronos.tasks import send_notification
from tests.factories import make_finished_execution, make_newsletter_job
from tests.live import free_port

from .conftest import SMTPSink


def _row() -> Notification:
    db.session.expire_all()
    return db.session.scalars(select(Notification)).one()


def _delayed() -> list:
    """Tasks enqueued with a delay (Huey queues them with an eta; the consumer parks them)."""
    return [task for task in huey.pending() + huey.scheduled() if task.eta is not None]


def _scheduled() -> list[tuple[str, tuple]]:
    return [(task.name.rsplit(".", 1)[-1], task.args) for task in _delayed()]


def test_smtp_down_then_back_up_is_sent_on_retry(notify_config, owner, monkeypatch):
    port = free_port()  # nothing listens here yet
    monkeypatch.setitem(notify_config, "SMTP_PORT", port)
    execution = make_finished_execution(make_newsletter_job(owner))

    tasks.deliver_notifications.call_local(execution.id, "failure")

    row = _row()
    assert (row.status, row.tries, row.sent_at) == ("pending", 1, None)
    assert f"SMTP 127.0.0.1:{port} unavailable" in row.error and "refused" in row.error.lower()
    assert _scheduled() == [("send_notification", (row.id,))]
    [task] = _delayed()
    # Delayed by the first backoff step (1 s here), not run at once.
    assert task.eta > datetime.now(UTC).replace(tzinfo=None)

    sink = SMTPSink(port=port).start()
    try:
        send_notification.call_local(row.id)  # what the consumer runs when the delay is up
        row = _row()
        assert (row.status, row.tries, row.error) == ("sent", 2, None)
        assert row.sent_at is not None
        assert [r.rcpt_tos for r in sink.received] == [["alice@example.com"]]
    finally:
        sink.stop()


def test_smtp_down_through_every_retry_is_recorded_failed(notify_config, owner, monkeypatch):
    monkeypatch.setitem(notify_config, "SMTP_PORT", free_port())
    monkeypatch.setitem(notify_config, "NOTIFY_RETRY_BACKOFF_SECONDS", [1, 1])
    execution = make_finished_execution(make_newsletter_job(owner))

    tasks.deliver_notifications.call_local(execution.id, "failure")
    row_id = _row().id
    send_notification.call_local(row_id)
    assert (_row().status, _row().tries) == ("pending", 2)
    send_notification.call_local(row_id)

    row = _row()
    assert (row.status, row.tries) == ("failed", 3)  # 1 try + 2 retries
    assert "unavailable" in row.error
    assert len(_delayed()) == 2  # one per retry, none after the last try
    send_notification.call_local(row_id)  # a late duplicate of the last retry changes nothing
    assert _row().tries == 3


def test_rejected_recipient_5xx_is_not_retried(notify_config, owner):
    class Rejecting(SMTPSink):
        async def handle_RCPT(self, server, session, envelope, address, options):
            return "550 5.1.1 No such user here"

    sink = Rejecting().start()
    try:
        notify_config["SMTP_PORT"] = sink.port
        tasks.deliver_notifications.call_local(make_finished_execution(make_newsletter_job(owner)).id, "failure")
        row = _row()
        assert row.status == "failed" and "550" in row.error and "No such user" in row.error
        assert _delayed() == []
    finally:
        sink.stop()
