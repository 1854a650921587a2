"""POST /jobs/{id}/backfill, GET /jobs/{id}/backfills, DELETE /jobs/{id}/backfills/{id} (both backends).

The claim's limit is exercised in-process here; tests/engine/test_limits.py runs real consumers.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from chronos import executor
from chronos.extensions import db
from chronos.models import Execution, db_now

from .support import API, add_execution, create_job

HOURLY = {"schedule_type": "cron", "cron_expression": "0 * * * *", "timezone": "Europe/Berlin"}


def _range(hours: int) -> tuple[str, str]:
    """The last `hours` whole hours, ending at the last full hour before now (in UTC)."""
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    return (end - timedelta(hours=hours - 1)).isoformat(), end.isoformat()


def _post(client, headers, job_id, **body):
    return client.post(f"{API}/jobs/{job_id}/backfill", json=body, headers=headers)


def test_a_dry_run_lists_the_slots_in_the_jobs_zone_and_creates_nothing(client, alice):
    job = create_job(client, alice, **HOURLY)
    start, end = _range(5)
    response = _post(client, alice, job["id"], **{"from": start, "to": end, "dry_run": True})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["count"] == 5 and len(body["slots"]) == 5
    first = datetime.fromisoformat(body["slots"][0])
    assert first == datetime.fromisoformat(start)
    assert first.utcoffset() in (timedelta(hours=1), timedelta(hours=2))  # Berlin, not UTC
    assert db.session.scalar(select(db.func.count(Execution.id))) == 0


def test_a_backfill_creates_one_waiting_execution_per_slot_and_never_doubles_one(client, alice):
    job = create_job(client, alice, **HOURLY)
    start, end = _range(6)
    # One slot of the range already ran on schedule: it is not run again.
    ran = add_execution(job["id"], scheduled_for=datetime.fromisoformat(start).astimezone(UTC))
    response = _post(client, alice, job["id"], **{"from": start, "to": end, "max_concurrency": 2})
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert (body["count"], body["slot_count"], body["status"], body["max_concurrency"]) == (
        5,
        6,
        "running",
        2,
    )
    rows = db.session.execute(
        select(Execution.trigger, Execution.status, Execution.backfill_id).where(Execution.id != ran.id)
    ).all()
    assert {(r.trigger, r.status, r.backfill_id) for r in rows} == {("backfill", "waiting", body["id"])}
    # The same range again: every slot has its execution, so nothing is created.
    again = _post(client, alice, job["id"], **{"from": start, "to": end}).get_json()
    assert (again["count"], again["slot_count"], again["status"]) == (0, 6, "completed")
    assert db.session.scalar(select(db.func.count(Execution.id))) == 6

    listed = client.get(f"{API}/jobs/{job['id']}/backfills", headers=alice).get_json()
    assert listed["total"] == 2 and [b["id"] for b in listed["items"]] == [again["id"], body["id"]]
    assert listed["items"][1]["counts"] == {"waiting": 5}


def test_the_claim_runs_at_most_max_concurrency_of_a_backfill_oldest_first(client, alice):
    job = create_job(client, alice, **HOURLY)
    start, end = _range(5)
    body = _post(client, alice, job["id"], **{"from": start, "to": end, "max_concurrency": 2}).get_json()
    ids = list(db.session.scalars(select(Execution.id).order_by(Execution.scheduled_for.desc())))
    released: list = []
    # Every row delivered at once (newest first): the two oldest run, the rest wait.
    runs, _jobs = executor.claim_executions(ids, db_now(), released=released)
    db.session.commit()
    oldest = ids[::-1]
    assert sorted(a.id for a in runs) == sorted(oldest[:2])
    statuses = dict(db.session.execute(select(Execution.id, Execution.status)).all())
    assert [statuses[i] for i in oldest] == ["running", "running", "waiting", "waiting", "waiting"]
    assert all(a.trigger == "backfill" for a in runs)  # never "late": a backfilled slot is not missed
    # Nothing more may start while two run.
    assert executor.claim_executions(oldest[2:], db_now())[0] == []
    db.session.commit()
    progress = client.get(f"{API}/jobs/{job['id']}/backfills", headers=alice).get_json()["items"][0]
    assert progress["id"] == body["id"] and progress["counts"] == {"running": 2, "waiting": 3}


def test_cancelling_keeps_finished_runs_and_cancels_the_rest(client, alice):
    job = create_job(client, alice, **HOURLY)
    start, end = _range(4)
    body = _post(client, alice, job["id"], **{"from": start, "to": end}).get_json()
    oldest = list(db.session.scalars(select(Execution).order_by(Execution.scheduled_for)))
    oldest[0].status = "succeeded"
    db.session.commit()
    response = client.delete(f"{API}/jobs/{job['id']}/backfills/{body['id']}", headers=alice)
    assert response.status_code == 200, response.get_json()
    cancelled = response.get_json()
    assert cancelled["status"] == "cancelled" and cancelled["counts"] == {"succeeded": 1, "cancelled": 3}
    assert cancelled["cancelled_at"] is not None
    reasons = set(db.session.scalars(select(Execution.reason).where(Execution.status == "cancelled")))
    assert reasons == {"backfill_cancelled"}


def test_bad_ranges_are_refused_naming_the_field(client, alice):
    job = create_job(client, alice, **HOURLY)
    start, end = _range(3)
    cases = [
        ({"from": end, "to": start}, "to", "before"),
        ({"from": start, "to": (datetime.now(UTC) + timedelta(hours=2)).isoformat()}, "to", "future"),
        ({"from": "2026-01-01T00:00:00", "to": end}, "from", "UTC offset"),
        ({"to": end}, "from", "Missing"),
        ({"from": start, "to": end, "max_concurrency": 0}, "max_concurrency", ""),
        ({"from": start, "to": end, "max_concurrency": "2"}, "max_concurrency", ""),
        ({"from": start, "to": end, "extra": 1}, "extra", "Unknown"),
    ]
    for body, name, words in cases:
        response = _post(client, alice, job["id"], **body)
        assert response.status_code == 422, (body, response.get_json())
        assert words in " ".join(response.get_json()["errors"][name]), response.get_json()
    assert db.session.scalar(select(db.func.count(Execution.id))) == 0


def test_a_range_over_the_limit_is_refused_with_its_count(client, alice):
    job = create_job(client, alice, schedule_type="interval", interval_seconds=60)
    end = datetime.now(UTC) - timedelta(minutes=1)
    start = end - timedelta(days=8)  # 11,520 minutes: 11,520 slots (11,521 when one falls on `from`)
    response = _post(client, alice, job["id"], **{"from": start.isoformat(), "to": end.isoformat()})
    assert response.status_code == 422
    message = response.get_json()["errors"]["to"][0]
    assert re.search(r"holds 11,52[01] slots", message) and "at most 10,000" in message, message
    assert db.session.scalar(select(db.func.count(Execution.id))) == 0


def test_a_huge_cron_range_is_refused_quickly_and_an_ancient_one_at_once(client, alice):
    job = create_job(client, alice, schedule_type="cron", cron_expression="* * * * * *")
    end = datetime.now(UTC) - timedelta(minutes=1)
    response = _post(
        client, alice, job["id"], **{"from": (end - timedelta(days=1)).isoformat(), "to": end.isoformat()}
    )
    assert response.status_code == 422
    assert "more than 50,000 slots" in response.get_json()["errors"]["to"][0]
    response = _post(client, alice, job["id"], **{"from": "0001-01-01T00:00:00+00:00", "to": end.isoformat()})
    assert response.status_code == 422 and "10 years" in response.get_json()["errors"]["from"][0]


def test_a_paused_job_is_not_backfilled(client, alice):
    job = create_job(client, alice, **HOURLY)
    client.post(f"{API}/jobs/{job['id']}/pause", headers=alice)
    start, end = _range(2)
    response = _post(client, alice, job["id"], **{"from": start, "to": end})
    assert response.status_code == 409 and "resume" in response.get_json()["message"]


def test_another_users_job_and_backfill_are_404(client, alice, bob):
    job = create_job(client, alice, **HOURLY)
    start, end = _range(2)
    body = _post(client, alice, job["id"], **{"from": start, "to": end}).get_json()
    assert _post(client, bob, job["id"], **{"from": start, "to": end, "dry_run": True}).status_code == 404
    assert client.get(f"{API}/jobs/{job['id']}/backfills", headers=bob).status_code == 404
    assert client.delete(f"{API}/jobs/{job['id']}/backfills/{body['id']}", headers=bob).status_code == 404
    other = create_job(client, bob, **HOURLY)
    # Alice's backfill is not found under Bob's job either, nor under another of hers.
    assert client.delete(f"{API}/jobs/{other['id']}/backfills/{body['id']}", headers=bob).status_code == 404
    mine = create_job(client, alice, **HOURLY)
    assert client.delete(f"{API}/jobs/{mine['id']}/backfills/{body['id']}", headers=alice).status_code == 404
    assert client.delete(f"{API}/jobs/{job['id']}/backfills/{2**63}", headers=alice).status_code == 404


def test_deleting_the_job_deletes_its_backfills(client, alice):
    job = create_job(client, alice, **HOURLY)
    start, end = _range(2)
    _post(client, alice, job["id"], **{"from": start, "to": end})
    assert client.delete(f"{API}/jobs/{job['id']}", headers=alice).status_code == 204
    assert db.session.scalar(select(db.func.count(Execution.id))) == 0
