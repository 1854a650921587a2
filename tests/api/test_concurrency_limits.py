"""PUT/GET/DELETE /concurrency-limits/{key}, a job's concurrency_key, and the claim holding a key (both backends).

Real consumers holding a key across processes: tests/engine/test_limits.py.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from chronos import executor, sync
from chronos.extensions import db
from chronos.models import ConcurrencyLimit, Execution, db_now

from .support import API, add_execution, create_job


def _put(client, headers, key, **body):
    return client.put(f"{API}/concurrency-limits/{key}", json=body, headers=headers)


def test_a_limit_is_set_changed_listed_and_removed(client, alice):
    created = _put(client, alice, "api.example.com", max_running=5)
    assert created.status_code == 200, created.get_json()
    assert created.get_json() | {"created_at": None, "updated_at": None} == {
        "key": "api.example.com",
        "max_running": 5,
        "per_second": None,
        "running": 0,
        "waiting": 0,
        "created_at": None,
        "updated_at": None,
    }
    changed = _put(client, alice, "api.example.com", max_running=2, per_second=0.5).get_json()
    assert (changed["max_running"], changed["per_second"]) == (2, 0.5)
    _put(client, alice, "billing", max_running=1)
    listed = client.get(f"{API}/concurrency-limits", headers=alice).get_json()
    assert listed["total"] == 2 and [item["key"] for item in listed["items"]] == [
        "api.example.com",
        "billing",
    ]
    assert client.get(f"{API}/concurrency-limits/billing", headers=alice).get_json()["max_running"] == 1
    assert client.delete(f"{API}/concurrency-limits/billing", headers=alice).status_code == 204
    assert client.get(f"{API}/concurrency-limits/billing", headers=alice).status_code == 404
    assert db.session.scalar(select(db.func.count(ConcurrencyLimit.id))) == 1


def test_bad_limits_and_keys_are_refused_naming_the_field(client, alice):
    cases = [
        ("k", {}, "max_running"),
        ("k", {"max_running": 0}, "max_running"),
        ("k", {"max_running": 1001}, "max_running"),
        ("k", {"max_running": "3"}, "max_running"),
        ("k", {"max_running": 3, "per_second": 0}, "per_second"),
        ("k", {"max_running": 3, "per_second": "NaN"}, "per_second"),
        ("k", {"max_running": 3, "other": 1}, "other"),
        ("has space", {"max_running": 3}, "key"),
        ("x" * 65, {"max_running": 3}, "key"),
    ]
    for key, body, name in cases:
        response = _put(client, alice, key, **body)
        assert response.status_code == 422, (key, body, response.get_json())
        assert name in response.get_json()["errors"], response.get_json()
    assert db.session.scalar(select(db.func.count(ConcurrencyLimit.id))) == 0


def test_a_jobs_concurrency_key_is_checked_stored_and_cleared(client, alice):
    job = create_job(client, alice, concurrency_key="api.example.com")
    assert job["concurrency_key"] == "api.example.com"
    bad = client.patch(f"{API}/jobs/{job['id']}", json={"concurrency_key": "no spaces"}, headers=alice)
    assert bad.status_code == 422 and "concurrency_key" in bad.get_json()["errors"]
    cleared = client.patch(f"{API}/jobs/{job['id']}", json={"concurrency_key": None}, headers=alice)
    assert cleared.status_code == 200 and cleared.get_json()["concurrency_key"] is None


def test_limits_are_each_users_own(client, alice, bob):
    _put(client, alice, "shared-name", max_running=1)
    assert client.get(f"{API}/concurrency-limits", headers=bob).get_json()["total"] == 0
    assert client.get(f"{API}/concurrency-limits/shared-name", headers=bob).status_code == 404
    assert client.delete(f"{API}/concurrency-limits/shared-name", headers=bob).status_code == 404
    # Bob's limit of the same name is his own, and leaves Alice's as it was.
    assert _put(client, bob, "shared-name", max_running=7).status_code == 200
    assert client.get(f"{API}/concurrency-limits/shared-name", headers=alice).get_json()["max_running"] == 1


def test_the_claim_holds_a_keys_executions_over_its_limit_as_waiting_oldest_first(client, alice, bob):
    _put(client, alice, "host", max_running=2)
    jobs = [create_job(client, alice, name=f"j{i}", concurrency_key="host") for i in range(2)]
    # Bob's job of the same key name is not under Alice's limit.
    bobs = create_job(client, bob, concurrency_key="host")
    now = db_now()
    rows = [
        add_execution(jobs[i % 2]["id"], status="pending", scheduled_for=now - timedelta(seconds=10 - i))
        for i in range(5)
    ]
    bob_row = add_execution(bobs["id"], status="pending", scheduled_for=now - timedelta(seconds=1))
    runs, _ = executor.claim_executions([r.id for r in rows] + [bob_row.id], db_now())
    db.session.commit()
    db.session.expire_all()  # the claim wrote with statements, not through these objects
    assert sorted(a.id for a in runs) == [rows[0].id, rows[1].id, bob_row.id]
    waiting = db.session.execute(
        select(Execution.id, Execution.reason, Execution.attempt, Execution.started_at).where(
            Execution.status == "waiting"
        )
    ).all()
    assert {(w.id, w.reason, w.attempt, w.started_at) for w in waiting} == {
        (r.id, "concurrency_key:host", 0, None) for r in rows[2:]
    }
    listed = client.get(f"{API}/concurrency-limits/host", headers=alice).get_json()
    assert (listed["running"], listed["waiting"]) == (2, 3)
    shown = client.get(f"{API}/executions/{rows[4].id}", headers=alice).get_json()
    assert (shown["status"], shown["reason"]) == ("waiting", "concurrency_key:host")

    # One finishes: the oldest waiting one starts, not the newest, though the newest was delivered.
    db.session.get(Execution, rows[0].id).status = "succeeded"
    db.session.commit()
    released: list = []
    assert executor.claim_executions([rows[4].id], db_now(), released=released)[0] == []
    db.session.commit()
    assert [row_id for row_id, _ in released] == [rows[2].id]
    (started,), _ = executor.claim_executions([rows[2].id], db_now())
    db.session.commit()
    assert started.id == rows[2].id and started.trigger == "schedule"


def test_a_waiting_slot_is_not_late_for_the_misfire_policy(client, alice, any_app):
    _put(client, alice, "host", max_running=1)
    job = create_job(client, alice, concurrency_key="host", misfire_policy="skip")
    grace = any_app.config["MISFIRE_GRACE_SECONDS"]
    old = db_now() - timedelta(seconds=grace + 30)
    row = add_execution(job["id"], status="waiting", reason="concurrency_key:host", scheduled_for=old)
    (attempt,), _ = executor.claim_executions([row.id], db_now())
    db.session.commit()
    assert attempt.id == row.id
    assert db.session.scalar(select(Execution.status).where(Execution.id == row.id)) == "running"


def test_the_safety_sync_queues_waiting_executions_whose_key_has_room(client, alice):
    _put(client, alice, "host", max_running=2)
    job = create_job(client, alice, concurrency_key="host")
    now = db_now()
    add_execution(job["id"], status="running", scheduled_for=now - timedelta(seconds=9))
    waiting = [
        add_execution(
            job["id"],
            status="waiting",
            reason="concurrency_key:host",
            scheduled_for=now - timedelta(seconds=8 - i),
        )
        for i in range(3)
    ]
    queued = [row_id for row_id, _ in sync.sync().followups.runs]
    assert queued == [waiting[0].id]  # one place free: the oldest
    assert client.delete(f"{API}/concurrency-limits/host", headers=alice).status_code == 204
    queued = [row_id for row_id, _ in sync.sync().followups.runs]
    assert sorted(queued) == sorted(w.id for w in waiting)  # no limit any more: all of them


def test_a_rate_spaces_the_starts_of_a_key(client, alice):
    _put(client, alice, "slow", max_running=10, per_second=1)
    job = create_job(client, alice, concurrency_key="slow")
    now = db_now()
    rows = [
        add_execution(job["id"], status="pending", scheduled_for=now - timedelta(seconds=5 - i))
        for i in range(3)
    ]
    released: list = []
    runs, _ = executor.claim_executions([r.id for r in rows], db_now(), released=released)
    db.session.commit()
    # A bucket of one token: one starts now, the next is queued for when its token is there.
    assert [a.id for a in runs] == [rows[0].id]
    assert [row_id for row_id, _ in released] == [rows[1].id]
    assert released[0][1] - db_now() > timedelta(seconds=0.5)


def test_a_waiting_execution_is_not_overdue_on_the_health_page(client, alice):
    job = create_job(client, alice, concurrency_key="host")
    long_ago = db_now() - timedelta(minutes=10)
    add_execution(job["id"], status="waiting", reason="concurrency_key:host", scheduled_for=long_ago)
    status = client.get(f"{API}/system/status", headers=alice).get_json()
    assert status["jobs"]["overdue_count"] == 0, status["jobs"]
    # The same slot not yet picked up by a worker would be.
    add_execution(job["id"], status="pending", scheduled_for=long_ago + timedelta(seconds=1))
    status = client.get(f"{API}/system/status", headers=alice).get_json()
    assert status["jobs"]["overdue_count"] == 1, status["jobs"]
