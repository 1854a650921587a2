"""Retention: what the policy deletes, what it never touches, in batches; on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from chronos import retention
from chronos.extensions import db
from chronos.models import Execution, ExecutionLog, IdempotentRequest, Notification
from chronos.retention import Policy
from tests.api.support import API, add_execution, create_job
from tests.api.teams import acting_in, personal, shared_workspace

NOW = datetime.now(UTC)


def _ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def _statuses(job_id: int) -> list[tuple[str, int]]:
    rows = db.session.execute(
        select(Execution.status, Execution.scheduled_for)
        .where(Execution.job_id == job_id)
        .order_by(Execution.scheduled_for)
    ).all()
    return [(status, round((NOW - at).total_seconds() / 86400)) for status, at in rows]


@pytest.fixture
def job(client, alice):
    return create_job(client, alice)


def test_the_default_deletes_old_finished_rows_and_keeps_failures_longer(client, alice, job):
    for days, status in [
        (1, "succeeded"),
        (29, "succeeded"),
        (31, "succeeded"),
        (45, "skipped"),
        (60, "cancelled"),
        (32, "failed"),
        (89, "failed"),
        (91, "failed"),
    ]:
        add_execution(job["id"], status=status, scheduled_for=_ago(days))
    done = retention.purge(NOW, Policy(days=30, failed_days=90))
    assert done.executions == 4 and done.finished
    assert _statuses(job["id"]) == [("failed", 89), ("failed", 32), ("succeeded", 29), ("succeeded", 1)]


def test_rows_in_flight_are_never_deleted_whatever_their_age(client, alice, job):
    for offset, status in enumerate(("pending", "running", "retrying")):
        add_execution(job["id"], status=status, scheduled_for=_ago(400 + offset))
    retention.purge(NOW, Policy(days=30, failed_days=30))
    assert sorted(s for s, _ in _statuses(job["id"])) == ["pending", "retrying", "running"]


def test_logs_and_notices_go_with_their_execution(client, alice, job):
    old = add_execution(job["id"], status="failed", scheduled_for=_ago(100))
    kept = add_execution(job["id"], status="failed", scheduled_for=_ago(10))
    for execution in (old, kept):
        db.session.add(ExecutionLog(execution_id=execution.id, attempt=1, message="line"))
        db.session.add(
            Notification(
                execution_id=execution.id,
                job_id=job["id"],
                owner_id=execution.owner_id,
                channel="email",
                recipient="a@example.com",
                kind="failure",
                status="sent",
            )
        )
    db.session.commit()
    retention.purge(NOW, Policy(days=30, failed_days=90))
    assert db.session.scalar(select(func.count()).select_from(ExecutionLog)) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1
    assert db.session.get(Execution, kept.id) is not None


def test_a_jobs_keep_days_replaces_the_default_both_ways(client, alice):
    short = create_job(client, alice, name="short", keep_days=2)
    long = create_job(client, alice, name="long", keep_days=365)
    for made in (short, long):
        for days in (1, 3, 40):
            add_execution(made["id"], scheduled_for=_ago(days))
    retention.purge(NOW, Policy(days=30, failed_days=90))
    assert _statuses(short["id"]) == [("succeeded", 1)]
    assert _statuses(long["id"]) == [("succeeded", 40), ("succeeded", 3), ("succeeded", 1)]


def test_keep_last_caps_the_count_but_spares_recent_failures(client, alice):
    capped = create_job(client, alice, keep_last=3)
    for minutes in range(1, 9):
        add_execution(
            capped["id"],
            scheduled_for=NOW - timedelta(minutes=minutes),
            status="failed" if minutes == 7 else "succeeded",
        )
    add_execution(capped["id"], status="pending", scheduled_for=NOW + timedelta(minutes=1))
    retention.purge(NOW, Policy(days=30, failed_days=90))
    left = db.session.execute(
        select(Execution.status, Execution.scheduled_for)
        .where(Execution.job_id == capped["id"])
        .order_by(Execution.scheduled_for.desc())
    ).all()
    minutes_ago = [(status, round((NOW - at).total_seconds() / 60)) for status, at in left]
    assert minutes_ago == [
        ("pending", -1),
        ("succeeded", 1),
        ("succeeded", 2),
        ("succeeded", 3),
        ("failed", 7),
    ]


def test_zero_days_keeps_everything_and_batches_are_small(client, alice, job):
    for days in range(40, 52):
        add_execution(job["id"], scheduled_for=_ago(days))
    assert retention.purge(NOW, Policy(days=0, failed_days=0)).executions == 0
    done = retention.purge(NOW, Policy(days=30, failed_days=90), batch=5)
    assert done.executions == 12 and done.finished
    assert _statuses(job["id"]) == []


def test_a_pass_stops_at_its_budget_and_the_next_goes_on(client, alice, job):
    for days in range(40, 52):
        add_execution(job["id"], scheduled_for=_ago(days))
    first = retention.purge(NOW, Policy(days=30, failed_days=90), batch=5, budget_seconds=0)
    assert not first.finished and first.executions == 5
    second = retention.purge(NOW, Policy(days=30, failed_days=90), batch=5)
    assert second.executions == 7 and second.finished


def test_old_idempotency_keys_are_forgotten(client, alice):
    client.post(
        f"{API}/jobs",
        json={"name": "k", "schedule_type": "interval", "interval_seconds": 60},
        headers={**alice, "Idempotency-Key": "old"},
    )
    client.post(
        f"{API}/jobs",
        json={"name": "k", "schedule_type": "interval", "interval_seconds": 60},
        headers={**alice, "Idempotency-Key": "new"},
    )
    db.session.execute(
        IdempotentRequest.__table__.update().where(IdempotentRequest.key == "old").values(created_at=_ago(2))
    )
    db.session.commit()
    assert retention.purge(NOW, Policy(days=30, failed_days=90)).idempotency_keys == 1
    assert db.session.scalars(select(IdempotentRequest.key)).all() == ["new"]


def test_job_fields_validated_and_shown_and_the_dashboard_says_what_is_kept(client, alice, any_app):
    for bad in ({"keep_days": 0}, {"keep_days": "7"}, {"keep_last": -1}, {"keep_days": 10**6}):
        response = client.post(
            f"{API}/jobs",
            json={"name": "x", "schedule_type": "interval", "interval_seconds": 60, **bad},
            headers=alice,
        )
        assert response.status_code == 422 and set(response.get_json()["errors"]) == set(bad)
    made = create_job(client, alice, keep_days=7, keep_last=100)
    assert (made["keep_days"], made["keep_last"]) == (7, 100)
    patched = client.patch(f"{API}/jobs/{made['id']}", json={"keep_days": None}, headers=alice).get_json()
    assert (patched["keep_days"], patched["keep_last"]) == (None, 100)
    stats = client.get(f"{API}/dashboard/stats", headers=alice).get_json()
    assert stats["retention"] == {
        "days": any_app.config["RETENTION_DAYS"],
        "failed_days": any_app.config["RETENTION_FAILED_DAYS"],
        "days_from": "instance",
        "failed_days_from": "instance",
        "jobs_with_own_policy": 1,
    }


def _set_retention(client, headers, workspace_id: int, **numbers: int | None) -> None:
    response = client.patch(f"{API}/workspaces/{workspace_id}", json=numbers, headers=headers)
    assert response.status_code == 200, response.get_json()


def test_a_workspaces_days_replace_the_instance_default_and_a_jobs_keep_days_beats_them(client, alice, bob):
    mine = personal(client, alice)["id"]
    _set_retention(client, alice, mine, retention_days=7)
    short = create_job(client, alice, name="in the 7-day workspace")
    own = create_job(client, alice, name="keeps 30 days itself", keep_days=30)
    other = create_job(client, bob, name="in a workspace on the instance default")
    for made in (short, own, other):
        for days in (3, 10, 40):
            add_execution(made["id"], scheduled_for=_ago(days))
    # In flight, however old, in the short workspace: never touched.
    for offset, status in enumerate(("pending", "waiting", "running", "retrying")):
        add_execution(short["id"], status=status, scheduled_for=_ago(400 + offset))
    done = retention.purge(NOW, Policy(days=30, failed_days=90))
    assert _statuses(short["id"]) == [
        ("retrying", 403),
        ("running", 402),
        ("waiting", 401),
        ("pending", 400),
        ("succeeded", 3),
    ]
    assert _statuses(own["id"]) == [("succeeded", 10), ("succeeded", 3)]
    assert _statuses(other["id"]) == [("succeeded", 10), ("succeeded", 3)]
    assert done.by_rule == {"days": 1, "workspace_days": 2, "keep_days": 1}


def test_a_workspaces_failure_days_protect_its_failures_under_every_rule(client, alice, bob):
    mine = personal(client, alice)["id"]
    _set_retention(client, alice, mine, retention_days=7, retention_failed_days=20)
    plain = create_job(client, alice, name="plain")
    own = create_job(client, alice, name="own days", keep_days=2)
    capped = create_job(client, alice, name="capped", keep_last=1)
    elsewhere = create_job(client, bob, name="capped elsewhere", keep_last=1)
    for made in (plain, own, capped, elsewhere):
        add_execution(made["id"], scheduled_for=_ago(1))
        for days in (15, 25):
            add_execution(made["id"], status="failed", scheduled_for=_ago(days))
    retention.purge(NOW, Policy(days=30, failed_days=90))
    # Failures younger than the workspace's 20 days stay; older ones go, though the instance says 90.
    for made in (plain, own, capped):
        assert _statuses(made["id"]) == [("failed", 15), ("succeeded", 1)], made["name"]
    # keep_last in a workspace on the instance's failure days: both failures are under 90 days.
    assert _statuses(elsewhere["id"]) == [("failed", 25), ("failed", 15), ("succeeded", 1)]


def test_zero_at_workspace_level_keeps_forever_and_null_follows_the_instance(client, alice, bob, auth):
    carol = auth.headers("carol@example.com")
    _set_retention(client, alice, personal(client, alice)["id"], retention_days=0)
    _set_retention(client, bob, personal(client, bob)["id"], retention_failed_days=0)
    team = shared_workspace(client, carol)
    _set_retention(client, carol, team, retention_days=7)
    _set_retention(client, carol, team, retention_days=None)  # back to the instance's
    forever = create_job(client, alice, name="forever")
    failures_forever = create_job(client, bob, name="failures forever")
    default = create_job(client, acting_in(carol, team), name="default again")
    for made in (forever, failures_forever, default):
        for days, status in ((10, "succeeded"), (40, "succeeded"), (400, "failed")):
            add_execution(made["id"], status=status, scheduled_for=_ago(days))
    retention.purge(NOW, Policy(days=30, failed_days=90))
    assert _statuses(forever["id"]) == [("failed", 400), ("succeeded", 40), ("succeeded", 10)]
    assert _statuses(failures_forever["id"]) == [("failed", 400), ("succeeded", 10)]
    assert _statuses(default["id"]) == [("succeeded", 10)]


def test_the_dashboard_describes_the_policy_in_force_in_the_callers_workspace(client, alice, bob):
    mine = personal(client, alice)["id"]
    _set_retention(client, alice, mine, retention_days=7)
    kept = client.get(f"{API}/dashboard/stats", headers=alice).get_json()["retention"]
    assert kept == {
        "days": 7,
        "failed_days": 90,
        "days_from": "workspace",
        "failed_days_from": "instance",
        "jobs_with_own_policy": 0,
    }
    _set_retention(client, alice, mine, retention_days=0, retention_failed_days=0)
    kept = client.get(f"{API}/dashboard/stats", headers=alice).get_json()["retention"]
    assert (kept["days"], kept["failed_days"], kept["days_from"], kept["failed_days_from"]) == (
        None,
        None,
        "workspace",
        "workspace",
    )
    # Another workspace is untouched by alice's numbers.
    theirs = client.get(f"{API}/dashboard/stats", headers=bob).get_json()["retention"]
    assert (theirs["days"], theirs["days_from"]) == (30, "instance")
