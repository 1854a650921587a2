"""GET /system/status: workers, queue, overdue runs, lateness, the last safety sync, in words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chronos import health
from chronos.api import system
from chronos.extensions import db
from chronos.models import Execution, Job, SyncPass, WorkerHeartbeat, db_now
from chronos.sync import sync

from .support import API, add_execution, create_job


def status(client, headers):
    response = client.get(f"{API}/system/status", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def beat(name: str = "host:1", ago: timedelta = timedelta(seconds=2)) -> None:
    db.session.merge(WorkerHeartbeat(worker=name, last_seen=db_now() - ago))
    db.session.commit()


def execution(job_id: int, **fields) -> Execution:
    """An execution row of the job as the engine would have left it (any fields)."""
    from tests.factories import make_execution

    return make_execution(db.session.get(Job, job_id), **fields)


def healthy() -> None:
    """A worker alive and a safety sync just done: nothing wrong."""
    beat()
    SyncPass.record("host:1", db_now(), {"requeued": 0, "expired": 0})


def test_needs_a_token(client):
    assert client.get(f"{API}/system/status").status_code == 401


def test_no_worker_is_down_and_says_so(client, alice):
    body = status(client, alice)
    assert body["status"] == "down"
    assert body["reasons"] == ["No worker is running: nothing runs until one starts (chronos worker)."]
    assert body["system"]["workers_alive"] == 0 and body["system"]["workers"] == []
    assert body["system"]["database"] == "ok" and body["system"]["queue"] == "ok"
    assert body["late_after_seconds"] == 10


def test_a_worker_gone_quiet_is_named_with_how_long(client, alice):
    beat("host:7", ago=timedelta(minutes=3, seconds=5))
    body = status(client, alice)
    assert body["status"] == "down"
    assert body["reasons"] == ["No worker has been seen for 3 min: nothing runs until one is back."]
    [worker] = body["system"]["workers"]
    assert worker["name"] == "host:7" and worker["alive"] is False and 180 <= worker["seconds_since"] < 200


def test_all_well_is_ok_with_the_last_sync(client, alice):
    healthy()
    body = status(client, alice)
    assert body["status"] == "ok" and body["reasons"] == []
    assert body["system"]["workers_alive"] == 1 and body["system"]["workers"][0]["alive"] is True
    assert body["system"]["last_sync"]["worker"] == "host:1"
    assert body["system"]["last_sync"]["details"] == {"requeued": 0, "expired": 0}
    assert body["system"]["queue_depth"] == {"ready": 0, "scheduled": 0}
    assert body["jobs"] == {
        "overdue_count": 0,
        "overdue": [],
        "running_over_timeout": 0,
        "lateness": {"runs": 0, "p50_seconds": None, "p99_seconds": None},
    }


def test_overdue_runs_are_counted_named_and_kept_to_their_owner(client, alice, bob):
    healthy()
    job = create_job(client, alice, name="Nightly export", timezone="Europe/Berlin")
    add_execution(job["id"], status="pending", scheduled_for=db_now() - timedelta(minutes=5))
    # Due again after a failed attempt, not picked up either.
    add_execution(
        job["id"],
        status="retrying",
        scheduled_for=db_now() - timedelta(hours=1),
        next_attempt_at=db_now() - timedelta(minutes=2),
    )
    # Not overdue: due a moment ago (within the grace), and one in the future.
    add_execution(job["id"], status="pending", scheduled_for=db_now() - timedelta(seconds=2))
    add_execution(job["id"], status="pending", scheduled_for=db_now() + timedelta(minutes=5))

    mine = status(client, alice)
    assert mine["status"] == "degraded"
    assert mine["reasons"] == ["2 runs are overdue: due, but no worker has picked them up."]
    assert mine["jobs"]["overdue_count"] == 2
    assert [(item["kind"], item["job_name"], item["timezone"]) for item in mine["jobs"]["overdue"]] == [
        ("execution", "Nightly export", "Europe/Berlin")
    ] * 2
    assert mine["jobs"]["overdue"][0]["due_at"] < mine["jobs"]["overdue"][1]["due_at"]

    theirs = status(client, bob)
    assert theirs["jobs"]["overdue_count"] == 0 and theirs["jobs"]["overdue"] == []
    # The scheduler-wide figure still counts them (bob may see the machinery: no roles yet).
    assert theirs["system"]["overdue_count"] == 2


def test_a_job_whose_next_run_passed_unplanned_is_overdue(client, alice):
    healthy()
    job = create_job(client, alice, name="Heartbeat")
    stored = db.session.get(Job, job["id"])
    stored.next_run_at = db_now() - timedelta(seconds=51)
    db.session.commit()
    body = status(client, alice)
    assert body["status"] == "degraded"
    [item] = body["jobs"]["overdue"]
    assert item["kind"] == "job" and item["execution_id"] is None and item["job_name"] == "Heartbeat"


def test_lateness_percentiles_over_the_last_hour(client, alice):
    healthy()
    job = create_job(client, alice)
    now = db_now()
    for i in range(100):
        late = 60 if i >= 98 else 1
        when = now - timedelta(minutes=30, seconds=i)
        execution(
            job["id"],
            scheduled_for=when,
            status="succeeded",
            attempt=1,
            started_at=when + timedelta(seconds=late),
        )
    # A retry's start says nothing of the first attempt's lateness; an old run is outside the hour;
    # a skipped slot never started.
    execution(
        job["id"],
        scheduled_for=now - timedelta(minutes=10),
        status="failed",
        attempt=2,
        started_at=now - timedelta(minutes=1),
    )
    execution(
        job["id"],
        scheduled_for=now - timedelta(hours=2),
        status="succeeded",
        attempt=1,
        started_at=now - timedelta(hours=1, minutes=50),
    )
    execution(
        job["id"], scheduled_for=now - timedelta(minutes=20), status="skipped", attempt=0, started_at=now
    )
    # A backfill runs past slots on purpose: its lateness says nothing about the scheduler.
    execution(
        job["id"],
        scheduled_for=now - timedelta(minutes=50),
        trigger="backfill",
        status="succeeded",
        attempt=1,
        started_at=now,
    )
    body = status(client, alice)
    assert body["jobs"]["lateness"] == {"runs": 100, "p50_seconds": 1.0, "p99_seconds": 60.0}
    assert body["system"]["lateness"] == body["jobs"]["lateness"]
    assert (
        "Runs start late: 1 in 100 started more than 1 min after its time in the last hour."
        in body["reasons"]
    )


def test_running_past_the_timeout_is_reported(client, alice):
    healthy()
    job = create_job(client, alice, timeout_seconds=30)
    execution(
        job["id"],
        status="running",
        started_at=db_now() - timedelta(minutes=10),
        attempt=1,
        scheduled_for=db_now() - timedelta(minutes=10),
    )
    execution(
        job["id"],
        status="running",
        started_at=db_now() - timedelta(seconds=5),
        attempt=1,
        scheduled_for=db_now() - timedelta(seconds=5),
    )
    body = status(client, alice)
    assert body["jobs"]["running_over_timeout"] == 1 and body["system"]["running_over_timeout"] == 1
    assert "1 run has been running longer than its timeout." in body["reasons"]


def test_a_backlog_in_the_queue_is_reported(client, alice, monkeypatch):
    from chronos import tasks

    healthy()
    monkeypatch.setattr(health, "QUEUE_BACKLOG", 5)
    for _ in range(6):
        tasks.plan()
    body = status(client, alice)
    assert body["system"]["queue_depth"]["ready"] == 6
    assert "6 tasks are waiting in the queue: the workers are not keeping up." in body["reasons"]


def test_a_stale_safety_sync_is_reported(client, alice):
    beat()
    SyncPass.record("host:1", db_now() - timedelta(minutes=12), {})
    db.session.query(SyncPass).update({"finished_at": db_now() - timedelta(minutes=12)})
    db.session.commit()
    body = status(client, alice)
    assert body["status"] == "degraded"
    assert body["reasons"] == ["The last safety sync was 12 min ago."]


def test_without_system_details_only_your_jobs_and_a_plain_word(client, alice, monkeypatch):
    monkeypatch.setattr(system, "may_see_system_details", lambda: False)
    job = create_job(client, alice)
    add_execution(job["id"], status="pending", scheduled_for=db_now() - timedelta(minutes=5))
    body = status(client, alice)
    assert body["system"] is None
    assert body["status"] == "down"
    assert body["reasons"] == [
        "The scheduler is not running normally; an administrator can see why.",
        "1 of your runs is overdue.",
    ]


def test_the_safety_sync_records_each_pass_and_keeps_only_the_last(app, monkeypatch):
    from tests.factories import make_execution, make_job

    monkeypatch.setattr(SyncPass, "KEEP", 3)
    job = make_job()
    lost = make_execution(job, scheduled_for=db_now() - timedelta(minutes=5))
    sync()
    first = SyncPass.latest()
    assert first.requeued == 1 and first.expired == 0
    assert first.details == {"requeued": 1, "expired": 0} and first.finished_at >= first.started_at
    first_id = first.id
    for _ in range(4):
        sync()
    assert [row.id for row in db.session.query(SyncPass).order_by(SyncPass.id)] == [
        first_id + 2,
        first_id + 3,
        first_id + 4,
    ]
    assert db.session.get(Execution, lost.id).status == "pending"


@pytest.mark.parametrize(
    "seconds,words", [(45, "45 s"), (190, "3 min"), (7300, "2 h"), (90000, "1 day"), (200000, "2 days")]
)
def test_durations_in_words(seconds, words):
    assert health.ago(seconds) == words
