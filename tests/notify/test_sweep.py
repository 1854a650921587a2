"""The sweep: notifications whose Huey task was lost (Redis lost, worker killed mid-send) are queued again."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from chronos import tasks
from chronos.extensions import db, huey
from chronos.models import Notification
from chronos.tasks import send_notification
from tests.factories import make_finished_execution, make_newsletter_job


def _queued() -> list[tuple[str, tuple]]:
    return sorted((t.name.rsplit(".", 1)[-1], t.args) for t in huey.pending())


def test_sweep_requeues_lost_work_and_leaves_the_rest(notify_config, smtp_sink, owner):
    now = datetime.now(UTC)
    job = make_newsletter_job(owner)
    slots = iter(range(100))

    def ago() -> dict:
        """Finished two minutes ago, each in its own slot."""
        return {"scheduled_for": now - timedelta(minutes=3, seconds=next(slots)),
                "finished_at": now - timedelta(minutes=2)}

    # A failed execution whose deliver task was lost: no rows at all.
    unrecorded = make_finished_execution(job, **ago())
    # Too recent (its task may still be on the way), too old (before the lookback), and one that
    # does not want notices.
    make_finished_execution(job, scheduled_for=now - timedelta(seconds=5), finished_at=now)
    make_finished_execution(job, scheduled_for=now - timedelta(hours=3), finished_at=now - timedelta(hours=2))
    make_finished_execution(make_newsletter_job(owner, name="Quiet", notify_on_failure=False), **ago())
    # A recorded row never claimed, one abandoned mid-send, one waiting for its retry, one sent.
    base = {"job_id": job.id, "owner_id": owner.id, "channel": "email", "kind": "failure"}
    lost = Notification(execution_id=make_finished_execution(job, **ago()).id, recipient="a@example.com",
                        status="pending", created_at=now - timedelta(minutes=2), **base)
    abandoned = Notification(execution_id=make_finished_execution(job, **ago()).id, recipient="b@example.com",
                             status="sending", tries=1, created_at=now - timedelta(minutes=10),
                             claimed_at=now - timedelta(minutes=10), **base)
    waiting = Notification(execution_id=make_finished_execution(job, **ago()).id, recipient="c@example.com",
                           status="pending", tries=1, created_at=now - timedelta(minutes=2),
                           claimed_at=now - timedelta(seconds=1), **base)
    done = Notification(execution_id=make_finished_execution(job, **ago()).id, recipient="d@example.com",
                        status="sent", tries=1, created_at=now - timedelta(minutes=2), **base)
    db.session.add_all([lost, abandoned, waiting, done])
    db.session.commit()

    counts = tasks.sweep_notifications.call_local()

    assert counts == {"abandoned": 1, "pending": 2, "unrecorded": 1}
    assert _queued() == sorted([("deliver_notifications", (unrecorded.id, "failure")),
                                ("send_notification", (lost.id,)), ("send_notification", (abandoned.id,))])
    db.session.expire_all()
    assert db.session.get(Notification, abandoned.id).status == "pending"
    assert db.session.get(Notification, waiting.id).status == "pending"

    # Running what was queued sends each once.
    send_notification.call_local(abandoned.id)
    send_notification.call_local(lost.id)
    assert sorted(r.rcpt_tos[0] for r in smtp_sink.received) == ["a@example.com", "b@example.com"]
    db.session.expire_all()
    assert db.session.get(Notification, abandoned.id).tries == 2

    # A second sweep right away finds nothing more to do except the unrecorded one, still queued
    # only once the deliver task has run.
    huey.flush()
    tasks.deliver_notifications.call_local(unrecorded.id, "failure")
    assert tasks.sweep_notifications.call_local() == {"abandoned": 0, "pending": 0, "unrecorded": 0}
    assert db.session.scalar(select(Notification.status).where(
        Notification.execution_id == unrecorded.id)) == "sent"
