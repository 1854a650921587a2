"""Throttling: at most one failure notice per job (and recipient) per window; the next says how many were held back."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from chronos import tasks
from chronos.extensions import db
from chronos.models import Notification
from tests.factories import make_finished_execution, make_newsletter_job


def _statuses(job_id: int) -> list[tuple[str, int]]:
    db.session.expire_all()
    return [(r.status, r.suppressed_count) for r in db.session.scalars(
        select(Notification).where(Notification.job_id == job_id).order_by(Notification.id))]


def _pass_the_window(job_id: int, seconds: int) -> None:
    # The window is measured on the database's clock; move the recorded notices back instead of waiting.
    for row in db.session.scalars(select(Notification).where(Notification.job_id == job_id)):
        row.created_at -= timedelta(seconds=seconds)
    db.session.commit()


def test_three_failures_in_the_window_send_one_and_the_next_carries_the_count(
        notify_config, smtp_sink, owner, receiver):
    job = make_newsletter_job(owner, notify_webhook_url=f"{receiver.url}/hook")
    for _ in range(3):
        tasks.deliver_notifications.call_local(make_finished_execution(job).id, "failure")

    assert len(smtp_sink.received) == 1 and len(receiver.requests) == 1
    assert _statuses(job.id) == [("sent", 0), ("sent", 0), ("suppressed", 0), ("suppressed", 0),
                                 ("suppressed", 0), ("suppressed", 0)]

    _pass_the_window(job.id, 601)
    fourth = make_finished_execution(job)
    tasks.deliver_notifications.call_local(fourth.id, "failure")

    assert len(smtp_sink.received) == 2 and len(receiver.requests) == 2
    rows = _statuses(job.id)
    assert rows[-2:] == [("sent", 2), ("sent", 2)]
    plain = smtp_sink.received[-1].message.get_body(("plain",)).get_content()
    html = smtp_sink.received[-1].message.get_body(("html",)).get_content()
    assert "2 more failures of this job were not notified" in plain
    assert "<strong>2</strong> more failures" in html
    assert receiver.requests[-1].json()["suppressed_count"] == 2
    assert "+2 more failures not notified" in receiver.requests[-1].json()["text"]

    # The count starts again after a sent notice.
    _pass_the_window(job.id, 601)
    tasks.deliver_notifications.call_local(make_finished_execution(job).id, "failure")
    assert _statuses(job.id)[-2:] == [("sent", 0), ("sent", 0)]


def test_throttle_is_per_job(notify_config, smtp_sink, owner):
    first, second = make_newsletter_job(owner, name="First"), make_newsletter_job(owner, name="Second")
    tasks.deliver_notifications.call_local(make_finished_execution(first).id, "failure")
    tasks.deliver_notifications.call_local(make_finished_execution(second).id, "failure")
    assert [r.message["Subject"] for r in smtp_sink.received] == [
        '[Chronos] Job "First" failed', '[Chronos] Job "Second" failed']


def test_zero_turns_throttling_off(notify_config, smtp_sink, owner, monkeypatch):
    monkeypatch.setitem(notify_config, "NOTIFY_THROTTLE_SECONDS", 0)
    job = make_newsletter_job(owner)
    for _ in range(3):
        tasks.deliver_notifications.call_local(make_finished_execution(job).id, "failure")
    assert len(smtp_sink.received) == 3
    assert _statuses(job.id) == [("sent", 0)] * 3


def test_a_failed_notice_does_not_hold_back_the_next(notify_config, smtp_sink, owner, monkeypatch):
    # The user never heard about the first failure, so the second one is not throttled.
    job = make_newsletter_job(owner)
    monkeypatch.setitem(notify_config, "SMTP_HOST", None)
    tasks.deliver_notifications.call_local(make_finished_execution(job).id, "failure")
    monkeypatch.setitem(notify_config, "SMTP_HOST", "127.0.0.1")
    tasks.deliver_notifications.call_local(make_finished_execution(job).id, "failure")
    assert _statuses(job.id) == [("failed", 0), ("sent", 0)]
    assert len(smtp_sink.received) == 1


def test_recovery_notices_are_not_throttled(notify_config, smtp_sink, owner):
    job = make_newsletter_job(owner, notify_on_recovery=True)
    tasks.deliver_notifications.call_local(make_finished_execution(job).id, "failure")
    tasks.deliver_notifications.call_local(make_finished_execution(job, status="succeeded", error=None).id, "recovery")
    assert [r.message["Subject"].rsplit(" ", 1)[-1] for r in smtp_sink.received] == ["failed", "recovered"]
