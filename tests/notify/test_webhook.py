"""The failure webhook: a JSON body with a Slack `text`, through the `http` handler's address checks."""
from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import select

from chronos import tasks
from chronos.extensions import db, huey
from chronos.models import Notification
from chronos.scheduling.cron import describe_schedule
from tests.factories import make_finished_execution, make_newsletter_job
from tests.live import running_receiver


def _webhook_row(execution_id: int) -> Notification:
    db.session.expire_all()
    return db.session.scalars(select(Notification).where(
        Notification.execution_id == execution_id, Notification.channel == "webhook")).one()


def test_webhook_posts_json_with_slack_text(notify_config, smtp_sink, owner, receiver):
    webhook_url = f"{receiver.url}/hook"
    job = make_newsletter_job(owner, notify_webhook_url=webhook_url)
    execution = make_finished_execution(job)

    tasks.deliver_notifications.call_local(execution.id, "failure")

    [hook] = receiver.requests
    assert hook.path == "/hook" and hook.headers["Content-Type"] == "application/json"
    body = hook.json()
    assert body["event"] == "execution.failed"
    assert body["text"].startswith('[Chronos] Job "Weekly Newsletter" failed after 2 attempts: '
                                   'HTTP 500 Internal Server Error')
    assert body["text"].endswith(f"http://127.0.0.1:8000/executions/{execution.id}")
    assert "\n" not in body["text"]
    assert body["job"] == {"id": job.id, "name": "Weekly Newsletter", "timezone": "America/New_York",
                           "schedule": describe_schedule(job)}
    assert body["execution"]["id"] == execution.id and body["execution"]["attempts"] == 2
    assert body["execution"]["http_status"] == 500
    assert body["execution"]["scheduled_for"] == execution.scheduled_for.isoformat()
    # Signed with the job's secret, like the job's own calls.
    signature = hmac.new(job.signing_secret.encode(), f"{hook.headers['X-Chronos-Timestamp']}.".encode()
                         + hook.body, hashlib.sha256).hexdigest()
    assert hook.headers["X-Chronos-Signature"] == f"sha256={signature}"
    row = _webhook_row(execution.id)
    assert (row.status, row.recipient, row.tries) == ("sent", webhook_url, 1)
    assert len(smtp_sink.received) == 1  # and the owner's e-mail


def test_recovery_webhook_event(notify_config, smtp_sink, owner, receiver):
    job = make_newsletter_job(owner, notify_webhook_url=f"{receiver.url}/hook", notify_on_recovery=True)
    tasks.deliver_notifications.call_local(make_finished_execution(job, status="succeeded", error=None).id, "recovery")
    [hook] = receiver.requests
    assert hook.json()["event"] == "execution.recovered" and "recovered" in hook.json()["text"]


def test_webhook_to_loopback_not_allow_listed_is_refused_without_a_connection(notify_config, smtp_sink, owner):
    with running_receiver("127.0.0.2") as other:  # a listener that must see nothing
        job = make_newsletter_job(owner, notify_webhook_url=f"{other.url}/hook")
        execution = make_finished_execution(job)
        tasks.deliver_notifications.call_local(execution.id, "failure")
        row = _webhook_row(execution.id)
        assert row.status == "failed" and "127.0.0.2" in row.error and "Refused" in row.error
        assert other.requests == []
        assert huey.pending_count() == 0  # refused is final: no retry


def test_webhook_5xx_is_retried_then_sent(notify_config, smtp_sink, owner, receiver):
    from chronos.tasks import send_notification

    receiver.status = 503
    job = make_newsletter_job(owner, notify_webhook_url=f"{receiver.url}/hook")
    execution = make_finished_execution(job)
    tasks.deliver_notifications.call_local(execution.id, "failure")
    row = _webhook_row(execution.id)
    assert (row.status, row.tries) == ("pending", 1) and "503" in row.error
    assert [(t.name.rsplit(".", 1)[-1], t.args) for t in huey.pending()] == [("send_notification", (row.id,))]

    receiver.status = 200
    send_notification.call_local(row.id)
    row = _webhook_row(execution.id)
    assert (row.status, row.tries, row.error) == ("sent", 2, None)
    assert len(receiver.requests) == 2
    # Both tries carry the same body: a receiver can drop a duplicate by execution id and event.
    assert receiver.requests[0].json() == receiver.requests[1].json()


def test_webhook_4xx_is_final(notify_config, smtp_sink, owner, receiver):
    receiver.status = 404
    execution = make_finished_execution(make_newsletter_job(owner, notify_webhook_url=f"{receiver.url}/hook"))
    tasks.deliver_notifications.call_local(execution.id, "failure")
    row = _webhook_row(execution.id)
    assert row.status == "failed" and "404" in row.error
