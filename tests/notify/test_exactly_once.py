"""A duplicate task delivery, sequential or concurrent, sends nothing twice."""
from __future__ import annotations

import threading

from sqlalchemy import select

from chronos.extensions import db
from chronos.models import Notification
from chronos.tasks import deliver_notifications, send_notification
from tests.factories import make_finished_execution, make_newsletter_job, make_user


def test_task_delivered_twice_sends_one_email_per_recipient(notify_config, smtp_sink, owner):
    job = make_newsletter_job(owner, notify_emails=["ops@example.com", "dev@example.com"])
    execution = make_finished_execution(job)

    deliver_notifications.call_local(execution.id, "failure")
    deliver_notifications.call_local(execution.id, "failure")
    for row_id in db.session.scalars(select(Notification.id)):
        send_notification.call_local(row_id)  # a stray retry task for a sent row does nothing

    assert sorted(r.rcpt_tos[0] for r in smtp_sink.received) == ["dev@example.com", "ops@example.com"]
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count()).select_from(Notification)) == 2
    assert {r.tries for r in db.session.scalars(select(Notification))} == {1}


def test_task_delivered_twice_concurrently_sends_one_email(app, notify_config, smtp_sink, owner):
    job = make_newsletter_job(owner, notify_emails=["ops@example.com", "dev@example.com", "boss@example.com"])
    execution_id = make_finished_execution(job).id
    start = threading.Barrier(4)
    errors: list[Exception] = []

    def deliver() -> None:
        try:
            with app.app_context():
                start.wait()
                deliver_notifications.call_local(execution_id, "failure")
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 (surfaced below: a thread's failure fails the test)
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert sorted(r.rcpt_tos[0] for r in smtp_sink.received) == [
        "boss@example.com", "dev@example.com", "ops@example.com"]
    db.session.expire_all()
    rows = list(db.session.scalars(select(Notification)))
    assert len(rows) == 3 and {(r.status, r.tries) for r in rows} == {("sent", 1)}


def test_two_concurrent_sends_of_one_row_send_once(app, notify_config, smtp_sink, owner):
    # Two send tasks for one recorded row (a retry and the sweep, say): the only guard is the
    # conditional UPDATE that claims it.
    from chronos import notify

    execution = make_finished_execution(make_newsletter_job(owner))
    [row_id] = notify.record_notifications(execution.id, "failure")
    start = threading.Barrier(2)
    results: list[str | None] = []

    def send() -> None:
        with app.app_context():
            start.wait()
            results.append(notify.send(row_id).status)
            db.session.remove()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(results, key=str) == [None, "sent"]
    assert len(smtp_sink.received) == 1


def test_duplicate_delivery_on_the_embedded_sqlite_default_sends_once(sqlite_app, smtp_sink, redis, monkeypatch):
    from tests.conftest import _clean

    _clean(sqlite_app)
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_sink.port, "MAIL_CONSOLE": False,
                       "SMTP_USERNAME": None, "NOTIFY_THROTTLE_SECONDS": 600}.items():
        monkeypatch.setitem(sqlite_app.config, key, value)
    with sqlite_app.app_context():
        job = make_newsletter_job(make_user("alice@example.com"),
                                  notify_emails=["ops@example.com", "dev@example.com"])
        execution_id = make_finished_execution(job).id
        deliver_notifications.call_local(execution_id, "failure")
        deliver_notifications.call_local(execution_id, "failure")
        second = make_finished_execution(job).id
        deliver_notifications.call_local(second, "failure")  # throttled on SQLite too
        statuses = sorted(db.session.scalars(select(Notification.status)))
        db.session.remove()
    assert sorted(r.rcpt_tos[0] for r in smtp_sink.received) == ["dev@example.com", "ops@example.com"]
    assert statuses == ["sent", "sent", "suppressed", "suppressed"]
