"""Failure e-mails over real SMTP: recipients, subject, content, multipart, and the switches."""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from chronos import notify, tasks
from chronos.executor import FollowUps
from chronos.extensions import db
from chronos.models import Notification
from chronos.scheduling.cron import describe_schedule
from chronos.tasks import deliver_notifications
from tests.factories import make_finished_execution, make_newsletter_job, make_user

from .conftest import PASSWORD, SMTPSink


def _rows(execution_id: int) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(Notification.execution_id == execution_id)
                                   .order_by(Notification.id)))


def test_failed_execution_emails_each_recipient_once(notify_config, smtp_sink, owner):
    job = make_newsletter_job(owner, notify_emails=["ops@example.com", "dev@example.com", "OPS@example.com"])
    execution = make_finished_execution(job)

    deliver_notifications.call_local(execution.id, "failure")

    assert sorted(r for received in smtp_sink.received for r in received.rcpt_tos) == [
        "dev@example.com", "ops@example.com"]
    rows = _rows(execution.id)
    assert [(r.channel, r.recipient, r.status, r.tries) for r in rows] == [
        ("email", "ops@example.com", "sent", 1), ("email", "dev@example.com", "sent", 1)]
    assert all(r.sent_at is not None and r.error is None and r.kind == "failure" for r in rows)


def test_failure_email_says_what_happened_in_the_jobs_time_zone(notify_config, smtp_sink, owner):
    job = make_newsletter_job(owner)  # cron 0 9 * * 1 in America/New_York; no list → the owner
    monday = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # 09:00 EST
    execution = make_finished_execution(job, scheduled_for=monday, finished_at=monday + timedelta(seconds=62))

    deliver_notifications.call_local(execution.id, "failure")

    [received] = smtp_sink.received
    assert received.rcpt_tos == ["alice@example.com"]
    assert received.mail_from == "chronos@chronos.test"
    message = received.message
    assert message["Subject"] == '[Chronos] Job "Weekly Newsletter" failed'
    assert message["To"] == "alice@example.com"
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for body in (plain, html):
        assert "Weekly Newsletter" in body
        assert "HTTP 500 Internal Server Error" in body
        assert f"http://127.0.0.1:8000/executions/{execution.id}" in body
        assert "Mon 07 Dec 2026 09:00:00 EST (UTC-05:00)" in body
        assert "09:01:02 EST" in body  # finished 62 s later
        assert "America/New_York" in body
        assert "At 09:00, only on Monday" in body  # the schedule in words
    assert "Attempts:     2" in plain
    assert "HTTP status:  500" in plain


def test_html_part_escapes_user_data(notify_config, smtp_sink, owner):
    job = make_newsletter_job(owner, name='<script>alert("x")</script> & co')
    execution = make_finished_execution(job, error="<b>boom</b>")

    tasks.deliver_notifications.call_local(execution.id, "failure")

    message = smtp_sink.received[0].message
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>boom</b>" not in html and "&lt;b&gt;boom&lt;/b&gt;" in html
    plain = message.get_body(preferencelist=("plain",)).get_content()
    assert '<script>alert("x")</script> & co' in plain  # plain text stays as the user wrote it


def test_job_name_cannot_inject_headers(notify_config, smtp_sink, owner):
    job = make_newsletter_job(owner, name="Nightly\r\nBcc: victim@example.com")
    tasks.deliver_notifications.call_local(make_finished_execution(job).id, "failure")
    [received] = smtp_sink.received
    assert received.rcpt_tos == ["alice@example.com"]
    assert received.message["Subject"] == '[Chronos] Job "Nightly Bcc: victim@example.com" failed'
    assert received.message["Bcc"] is None


def test_notifications_off_sends_nothing(notify_config, smtp_sink, owner):
    job = make_newsletter_job(owner, notify_on_failure=False)
    execution = make_finished_execution(job)
    tasks.deliver_notifications.call_local(execution.id, "failure")
    assert smtp_sink.received == [] and _rows(execution.id) == []


def test_execution_that_did_not_fail_is_not_notified(notify_config, smtp_sink, owner):
    job = make_newsletter_job(owner)
    execution = make_finished_execution(job, status="succeeded", error=None)
    tasks.deliver_notifications.call_local(execution.id, "failure")
    retrying = make_finished_execution(job, status="retrying")
    tasks.deliver_notifications.call_local(retrying.id, "failure")
    assert smtp_sink.received == [] and _rows(execution.id) == [] and _rows(retrying.id) == []


def test_recovery_email_only_when_asked_for(notify_config, smtp_sink, owner):
    quiet = make_newsletter_job(owner, name="Quiet")
    tasks.deliver_notifications.call_local(make_finished_execution(quiet, status="succeeded", error=None).id, "recovery")
    assert smtp_sink.received == []

    job = make_newsletter_job(owner, name="Flaky", notify_on_recovery=True)
    execution = make_finished_execution(job, status="succeeded", error=None, attempt=1)
    tasks.deliver_notifications.call_local(execution.id, "recovery")

    [received] = smtp_sink.received
    assert received.message["Subject"] == '[Chronos] Job "Flaky" recovered'
    assert "succeeded after a failed one" in received.message.get_body(("plain",)).get_content()
    [row] = _rows(execution.id)
    assert (row.kind, row.status) == ("recovery", "sent")


def test_interval_and_one_time_schedules_in_words(app, owner):
    every = make_newsletter_job(owner, schedule_type="interval", cron_expression=None, interval_seconds=300)
    assert describe_schedule(every) == "Every 5 minutes"
    hourly = make_newsletter_job(owner, schedule_type="interval", cron_expression=None, interval_seconds=3600)
    assert describe_schedule(hourly) == "Every hour"
    odd = make_newsletter_job(owner, schedule_type="interval", cron_expression=None, interval_seconds=90)
    assert describe_schedule(odd) == "Every 90 seconds"
    nickname = make_newsletter_job(owner, cron_expression="@daily", timezone="Europe/Berlin")
    assert describe_schedule(nickname).startswith("At 00:00 (Europe/Berlin)")
    from datetime import datetime
    once = make_newsletter_job(owner, job_type="one_time", schedule_type="once", cron_expression=None,
                               run_at=datetime(2026, 7, 1, 7, 30, tzinfo=UTC), timezone="Europe/Berlin")
    assert describe_schedule(once) == "Once, at Wed 01 Jul 2026 09:30:00 CEST (UTC+02:00)"


def test_mail_console_prints_the_message_instead(notify_config, smtp_sink, owner, monkeypatch, capsys):
    monkeypatch.setitem(notify_config, "MAIL_CONSOLE", True)
    execution = make_finished_execution(make_newsletter_job(owner))
    tasks.deliver_notifications.call_local(execution.id, "failure")
    out = capsys.readouterr().out
    assert 'Subject: [Chronos] Job "Weekly Newsletter" failed' in out
    assert "To: alice@example.com" in out and "HTTP 500 Internal Server Error" in out
    assert smtp_sink.received == []
    assert _rows(execution.id)[0].status == "sent"


def test_no_smtp_settings_records_failed_not_configured(notify_config, owner, monkeypatch, redis):
    monkeypatch.setitem(notify_config, "SMTP_HOST", None)
    execution = make_finished_execution(make_newsletter_job(owner))
    tasks.deliver_notifications.call_local(execution.id, "failure")
    [row] = _rows(execution.id)
    assert row.status == "failed" and "SMTP not configured" in row.error
    from chronos.extensions import huey
    assert huey.pending_count() == 0 and huey.scheduled_count() == 0  # a missing setting does not fix itself: no retry


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_password_never_in_errors_or_logs(notify_config, owner, monkeypatch, caplog):
    sink = SMTPSink(require_auth=True).start()
    try:
        monkeypatch.setitem(notify_config, "SMTP_PORT", sink.port)
        monkeypatch.setitem(notify_config, "SMTP_USERNAME", "chronos")
        monkeypatch.setitem(notify_config, "SMTP_PASSWORD", PASSWORD)
        ok = make_finished_execution(make_newsletter_job(owner, name="Good credentials"))
        tasks.deliver_notifications.call_local(ok.id, "failure")
        assert [r.message["Subject"] for r in sink.received] == ['[Chronos] Job "Good credentials" failed']
        assert sink.auth_attempts == [("chronos", PASSWORD)]

        monkeypatch.setitem(notify_config, "SMTP_PASSWORD", PASSWORD + "-wrong")
        caplog.set_level(logging.DEBUG)
        bad = make_finished_execution(make_newsletter_job(owner, name="Bad credentials"))
        tasks.deliver_notifications.call_local(bad.id, "failure")
        [row] = _rows(bad.id)
        assert row.status == "failed" and "535" in row.error  # 5xx: not retried
        assert PASSWORD not in row.error and PASSWORD not in caplog.text
    finally:
        sink.stop()


def test_sanitize_masks_the_password_in_every_form():
    import base64
    config = {"SMTP_PASSWORD": "hunter2", "SMTP_USERNAME": "me"}
    plain_auth = base64.b64encode(b"\0me\0hunter2").decode()
    text = f"bad hunter2 / {base64.b64encode(b'hunter2').decode()} / {plain_auth}"
    assert notify.sanitize(text, config) == "bad **** / **** / ****"
    assert notify.sanitize("nothing", {"SMTP_PASSWORD": None}) == "nothing"


def test_execution_failed_only_enqueues(app, owner, redis):
    from chronos.extensions import huey
    execution = make_finished_execution(make_newsletter_job(owner))
    tasks.queue_followups(FollowUps(failed=[execution.id], recovered=[execution.id]))
    assert _rows(execution.id) == []  # nothing recorded or sent in the caller
    pending = huey.pending()
    assert [(t.name.rsplit(".", 1)[-1], t.args) for t in pending] == [
        ("deliver_notifications", (execution.id, "failure")),
        ("deliver_notifications", (execution.id, "recovery"))]


def test_owner_without_list_and_other_users_email_unaffected(notify_config, smtp_sink, owner):
    other = make_user("bob@example.com")
    tasks.deliver_notifications.call_local(make_finished_execution(make_newsletter_job(owner)).id, "failure")
    tasks.deliver_notifications.call_local(make_finished_execution(make_newsletter_job(other, name="Bob's")).id, "failure")
    assert [(r.rcpt_tos, r.message["Subject"]) for r in smtp_sink.received] == [
        (["alice@example.com"], '[Chronos] Job "Weekly Newsletter" failed'),
        (["bob@example.com"], '[Chronos] Job "Bob\'s" failed')]
