"""Jobs: create (seed and every schedule type), validation, list, edit, pause/resume, run now,
secrets, delete, and tenant isolation on every route."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from chronos.extensions import db
from chronos.models import Execution, ExecutionLog, Job, Notification

from .support import API, SEED, add_execution, add_log, create_job, future


def count_jobs() -> int:
    return db.session.scalar(select(func.count()).select_from(Job))


def parse(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


def stored(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


# --- create ----------------------------------------------------------------------------------------


def test_the_seed_example_is_accepted_unchanged(client, alice):
    response = client.post(f"{API}/jobs", json=SEED, headers=alice)
    assert response.status_code == 201
    body = response.get_json()
    for name, value in SEED.items():
        assert body[name] == value
    assert body["status"] == "active" and body["timezone"] == "UTC" and body["handler"] == "log"
    assert body["max_retries"] == 3 and body["retry_backoff_seconds"] == [60, 300, 900]
    assert body["overlap_policy"] == "allow" and body["misfire_policy"] == "run_once"
    assert body["last_run_at"] is None and body["created_at"] and body["updated_at"]
    next_run = parse(body["next_run_at"])
    now = datetime.now(UTC)
    assert now < next_run <= now + timedelta(days=7)
    assert (next_run.weekday(), next_run.hour, next_run.minute) == (
        0,
        9,
        0,
    ) and next_run.utcoffset() == timedelta(0)
    assert len(body["signing_secret"]) >= 32
    assert stored(body["id"]).signing_secret == body["signing_secret"]
    again = client.get(f"{API}/jobs/{body['id']}", headers=alice).get_json()
    assert "signing_secret" not in again


def test_cron_next_run_is_in_the_jobs_time_zone(client, alice):
    body = create_job(client, alice, timezone="Europe/Berlin")
    local = parse(body["next_run_at"]).astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.weekday(), local.hour, local.minute) == (0, 9, 0)
    assert body["timezone"] == "Europe/Berlin"


def test_one_time_job_runs_at_run_at_and_shows_it_in_utc(client, alice):
    run_at = (datetime.now(UTC) + timedelta(days=2)).astimezone(ZoneInfo("America/New_York"))
    run_at = run_at.replace(microsecond=0)
    body = create_job(
        client,
        alice,
        job_type="one_time",
        schedule_type="once",
        cron_expression=None,
        run_at=run_at.isoformat(),
    )
    assert parse(body["run_at"]) == run_at and body["run_at"].endswith("+00:00")
    assert parse(body["next_run_at"]) == run_at
    assert body["cron_expression"] is None and body["job_type"] == "one_time"


def test_one_time_job_type_alone_implies_schedule_once(client, alice):
    when = future(hours=1)
    response = client.post(
        f"{API}/jobs", json={"name": "Once", "job_type": "one_time", "run_at": when}, headers=alice
    )
    assert response.status_code == 201
    assert response.get_json()["schedule_type"] == "once"


def test_interval_job_next_run_is_one_interval_from_now(client, alice):
    before = datetime.now(UTC)
    body = create_job(client, alice, schedule_type="interval", cron_expression=None, interval_seconds=600)
    next_run = parse(body["next_run_at"])
    assert before + timedelta(seconds=590) <= next_run <= datetime.now(UTC) + timedelta(seconds=610)
    assert body["interval_seconds"] == 600 and body["cron_expression"] is None


def test_cron_expression_is_stored_normalised(client, alice):
    assert create_job(client, alice, cron_expression="  0  9 * *   1 ")["cron_expression"] == "0 9 * * 1"


def test_fields_of_other_schedule_types_are_not_kept(client, alice):
    body = create_job(client, alice, interval_seconds=60, run_at=future(hours=1))
    assert body["interval_seconds"] is None and body["run_at"] is None


def test_http_job_with_every_option(client, alice):
    body = create_job(
        client,
        alice,
        handler="http",
        timezone="America/New_York",
        target={
            "url": "https://hooks.example.com/x",
            "method": "put",
            "headers": {
                "Content-Type": "application/json",
                "Authorization": "Bearer s3cret",
                "X-Api-Key": "k1",
                "X-Custom-Token": "t1",
                "Cookie": "c=1",
            },
            "body": {"hello": "world"},
        },
        timeout_seconds=10,
        max_retries=5,
        retry_backoff_seconds=[1, 2, 4],
        retry_on_client_error=True,
        overlap_policy="forbid",
        misfire_policy="skip",
        notify_on_failure=False,
        notify_on_recovery=True,
        notify_emails=["ops@example.com"],
        notify_webhook_url="https://chat.example.com/hook",
    )
    assert body["target"]["method"] == "PUT" and body["target"]["body"] == {"hello": "world"}
    assert body["target"]["headers"] == {
        "Content-Type": "application/json",
        "Authorization": "****",
        "X-Api-Key": "****",
        "X-Custom-Token": "****",
        "Cookie": "****",
    }
    assert (body["timeout_seconds"], body["max_retries"], body["retry_backoff_seconds"]) == (10, 5, [1, 2, 4])
    assert body["retry_on_client_error"] and body["notify_on_recovery"] and not body["notify_on_failure"]
    assert body["overlap_policy"] == "forbid" and body["misfire_policy"] == "skip"
    assert body["notify_emails"] == ["ops@example.com"]
    assert stored(body["id"]).target["headers"]["Authorization"] == "Bearer s3cret"


def test_secret_headers_are_masked_everywhere_and_a_masked_patch_keeps_them(client, alice):
    body = create_job(
        client,
        alice,
        handler="http",
        target={"url": "https://example.com/hook", "headers": {"Authorization": "Bearer keep-me"}},
    )
    listed = client.get(f"{API}/jobs", headers=alice).get_json()["items"][0]
    assert listed["target"]["headers"]["Authorization"] == "****"
    # The UI sends back what it read, the mask included, with another field changed.
    patch = {"target": {**body["target"], "url": "https://example.com/other"}}
    response = client.patch(f"{API}/jobs/{body['id']}", json=patch, headers=alice)
    assert response.status_code == 200 and response.get_json()["target"]["headers"]["Authorization"] == "****"
    job = stored(body["id"])
    assert job.target["headers"]["Authorization"] == "Bearer keep-me" and job.target["url"].endswith("/other")
    replaced = {"target": {"url": "https://example.com/other", "headers": {"authorization": "Bearer new"}}}
    client.patch(f"{API}/jobs/{body['id']}", json=replaced, headers=alice)
    assert stored(body["id"]).target["headers"] == {"authorization": "Bearer new"}


ONCE = {"job_type": "one_time", "schedule_type": "once", "cron_expression": None}
INTERVAL = {"schedule_type": "interval", "cron_expression": None}
HTTP = {"handler": "http"}

INVALID = [
    ({"cron_expression": "61 * * * *"}, "cron_expression"),
    ({"cron_expression": "* * *"}, "cron_expression"),
    ({"cron_expression": "0 0 30 2 *"}, "cron_expression"),
    ({"cron_expression": 12}, "cron_expression"),
    ({"cron_expression": None}, "cron_expression"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"timezone": ""}, "timezone"),
    ({**ONCE, "run_at": "2020-01-01T09:00:00+00:00"}, "run_at"),
    ({**ONCE, "run_at": "2099-01-01T09:00:00"}, "run_at"),
    ({**ONCE, "run_at": "next tuesday"}, "run_at"),
    ({**ONCE}, "run_at"),
    ({**INTERVAL, "interval_seconds": 5}, "interval_seconds"),
    ({**INTERVAL, "interval_seconds": "60"}, "interval_seconds"),
    ({**INTERVAL, "interval_seconds": 60.5}, "interval_seconds"),
    ({**INTERVAL}, "interval_seconds"),
    ({"job_type": "one_time"}, "job_type"),
    ({"job_type": "recurring", "schedule_type": "once", "run_at": "2099-01-01T09:00:00+00:00"}, "job_type"),
    ({"schedule_type": "weekly"}, "schedule_type"),
    ({"job_type": "sometimes"}, "job_type"),
    ({**HTTP}, "target"),
    ({**HTTP, "target": {"url": "ftp://example.com/file"}}, "target"),
    ({**HTTP, "target": {"url": "http://"}}, "target"),
    ({**HTTP, "target": {"url": "javascript:alert(1)"}}, "target"),
    ({**HTTP, "target": {"url": "http://example.com:99999/"}}, "target"),
    ({**HTTP, "target": {"url": "https://example.com", "method": "TRACE"}}, "target"),
    ({**HTTP, "target": {"url": "https://example.com", "headers": {"X-N": 1}}}, "target"),
    ({**HTTP, "target": {"url": "https://example.com", "headers": {"X-A": "a\r\nX-Injected: 1"}}}, "target"),
    ({**HTTP, "target": {"url": "https://example.com", "headers": {"Bad Name": "a"}}}, "target"),
    ({**HTTP, "target": {"url": "https://example.com", "extra": 1}}, "target"),
    ({**HTTP, "target": {"url": "https://example.com", "body": "x" * 70_000}}, "target"),
    ({"target": "https://example.com"}, "target"),
    ({"handler": "no_such_handler"}, "handler"),
    ({"payload": {"blob": "x" * 70_000}}, "payload"),
    ({"timeout_seconds": 0}, "timeout_seconds"),
    ({"timeout_seconds": 3601}, "timeout_seconds"),
    ({"timeout_seconds": "30"}, "timeout_seconds"),
    ({"max_retries": 11}, "max_retries"),
    ({"max_retries": -1}, "max_retries"),
    ({"retry_backoff_seconds": []}, "retry_backoff_seconds"),
    ({"retry_backoff_seconds": [0]}, "retry_backoff_seconds"),
    ({"retry_backoff_seconds": [1] * 11}, "retry_backoff_seconds"),
    ({"retry_backoff_seconds": "60"}, "retry_backoff_seconds"),
    ({"overlap_policy": "sometimes"}, "overlap_policy"),
    ({"misfire_policy": "run_all"}, "misfire_policy"),
    ({"notify_emails": ["not-an-email"]}, "notify_emails"),
    ({"notify_emails": [f"u{i}@example.com" for i in range(21)]}, "notify_emails"),
    ({"notify_emails": "ops@example.com"}, "notify_emails"),
    ({"notify_webhook_url": "file:///etc/passwd"}, "notify_webhook_url"),
    ({"notify_on_failure": "maybe"}, "notify_on_failure"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": 42}, "name"),
    ({"name": "n" * 201}, "name"),
    ({"status": "paused"}, "status"),
    ({"next_run_at": "2099-01-01T00:00:00+00:00"}, "next_run_at"),
    ({"owner_id": 2}, "owner_id"),
    ({"unknown_field": 1}, "unknown_field"),
]


def test_invalid_job_is_422_naming_the_field_and_stores_nothing(client, alice, subtests):
    # One signed-in user for the whole table (password hashing dominates the cost of a test).
    for overrides, field in INVALID:
        with subtests.test(field=field, body=overrides):
            response = client.post(f"{API}/jobs", json={**SEED, **overrides}, headers=alice)
            assert response.status_code == 422, response.get_json()
            body = response.get_json()
            assert body["code"] == 422 and body["status"] == "Unprocessable Entity"
            assert field in body["errors"], body
            assert field in body["message"]
            assert count_jobs() == 0


def test_missing_name_is_named(client, alice):
    response = client.post(
        f"{API}/jobs", json={"schedule_type": "cron", "cron_expression": "* * * * *"}, headers=alice
    )
    assert response.status_code == 422 and "name" in response.get_json()["errors"]


def test_body_that_is_not_json_or_not_an_object(client, alice):
    text = client.post(f"{API}/jobs", data="name=x", headers=alice, content_type="text/plain")
    assert text.status_code == 400 and "JSON" in text.get_json()["message"]
    broken = client.post(f"{API}/jobs", data="{not json", headers=alice, content_type="application/json")
    assert broken.status_code == 400 and broken.get_json()["code"] == 400
    array = client.post(f"{API}/jobs", json=[SEED], headers=alice)
    assert array.status_code == 422 and "JSON object" in array.get_json()["message"]
    assert count_jobs() == 0


def test_oversize_body_is_413_in_the_error_shape(client, alice):
    response = client.post(f"{API}/jobs", json={**SEED, "payload": "x" * 300_000}, headers=alice)
    assert response.status_code == 413
    body = response.get_json()
    assert body["code"] == 413 and body["status"] == "Request Entity Too Large" and body["message"]
    assert count_jobs() == 0


def test_minimum_interval_comes_from_config(client, alice, any_app):
    any_app.config["MIN_INTERVAL_SECONDS"] = 120
    try:
        response = client.post(
            f"{API}/jobs", json={**SEED, **INTERVAL, "interval_seconds": 60}, headers=alice
        )
        assert response.status_code == 422 and "120" in response.get_json()["errors"]["interval_seconds"][0]
    finally:
        any_app.config["MIN_INTERVAL_SECONDS"] = 10


# --- list and read ---------------------------------------------------------------------------------


def test_list_is_paginated_newest_first(client, alice):
    ids = [create_job(client, alice, name=f"Job {i}")["id"] for i in range(5)]
    first = client.get(f"{API}/jobs?limit=2", headers=alice).get_json()
    assert (first["page"], first["limit"], first["total"]) == (1, 2, 5)
    assert [item["id"] for item in first["items"]] == ids[::-1][:2]
    last = client.get(f"{API}/jobs?limit=2&page=3", headers=alice).get_json()
    assert [item["id"] for item in last["items"]] == [ids[0]]
    beyond = client.get(f"{API}/jobs?limit=2&page=9", headers=alice).get_json()
    assert beyond["items"] == [] and beyond["total"] == 5
    default = client.get(f"{API}/jobs", headers=alice).get_json()
    assert default["limit"] == 20 and default["page"] == 1 and len(default["items"]) == 5


def test_list_filters_by_status_and_name(client, alice):
    create_job(client, alice, name="Weekly Newsletter")
    paused = create_job(client, alice, name="Nightly backup")
    create_job(client, alice, name="100% done_report")
    client.post(f"{API}/jobs/{paused['id']}/pause", headers=alice)
    by_status = client.get(f"{API}/jobs?status=paused", headers=alice).get_json()
    assert [item["id"] for item in by_status["items"]] == [paused["id"]] and by_status["total"] == 1
    search = client.get(f"{API}/jobs?q=NEWS", headers=alice).get_json()
    assert [item["name"] for item in search["items"]] == ["Weekly Newsletter"]
    # LIKE wildcards in q are plain characters.
    assert client.get(f"{API}/jobs?q=%25", headers=alice).get_json()["total"] == 1
    assert client.get(f"{API}/jobs?q=y_n", headers=alice).get_json()["total"] == 0
    assert client.get(f"{API}/jobs?q=backup&status=active", headers=alice).get_json()["total"] == 0


@pytest.mark.parametrize(
    "query,field",
    [
        ("page=0", "page"),
        ("page=abc", "page"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=1.5", "limit"),
        ("status=running", "status"),
        ("page=-1", "page"),
    ],
)
def test_bad_list_parameters_are_422(client, alice, query, field):
    response = client.get(f"{API}/jobs?{query}", headers=alice)
    assert response.status_code == 422 and field in response.get_json()["errors"]


def test_missing_and_malformed_ids_are_404(client, alice, job):
    for path in (
        f"/jobs/{job['id'] + 1000}",
        "/jobs/abc",
        "/jobs/-1",
        "/jobs/99999999999999999999999",
        "/jobs/1.5",
    ):
        response = client.get(f"{API}{path}", headers=alice)
        assert response.status_code == 404, path
        assert response.get_json()["code"] == 404


def test_jobs_routes_need_a_token(client, job):
    for method, path in [
        ("get", "/jobs"),
        ("post", "/jobs"),
        ("get", f"/jobs/{job['id']}"),
        ("patch", f"/jobs/{job['id']}"),
        ("delete", f"/jobs/{job['id']}"),
        ("post", f"/jobs/{job['id']}/pause"),
        ("post", f"/jobs/{job['id']}/execute"),
    ]:
        response = getattr(client, method)(f"{API}{path}", json={})
        assert response.status_code == 401, (method, path)
        assert response.get_json()["status"] == "Unauthorized"
    assert stored(job["id"]).status == "active"


# --- edit ------------------------------------------------------------------------------------------


def test_patch_edits_plain_fields_without_touching_the_schedule(client, alice, job):
    before = stored(job["id"])
    version, schedule_version, next_run = before.version, before.schedule_version, before.next_run_at
    response = client.patch(
        f"{API}/jobs/{job['id']}", json={"name": "Renamed", "max_retries": 0, "payload": None}, headers=alice
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "Renamed" and body["max_retries"] == 0 and body["payload"] is None
    # A new definition version, but not a new schedule: next_run_at and the planned slots stay.
    assert body["version"] == version + 1 and body["schedule_version"] == schedule_version
    assert parse(body["next_run_at"]) == next_run
    assert body["description"] == SEED["description"]


def test_schedule_edit_recomputes_next_run_and_cancels_planned_slots(client, alice, job):
    planned = add_execution(
        job["id"], status="pending", scheduled_for=datetime.now(UTC) + timedelta(seconds=60)
    )
    planned_id = planned.id
    response = client.patch(
        f"{API}/jobs/{job['id']}",
        json={"cron_expression": "30 6 * * *", "timezone": "Asia/Kolkata"},
        headers=alice,
    )
    assert response.status_code == 200
    body = response.get_json()
    local = parse(body["next_run_at"]).astimezone(ZoneInfo("Asia/Kolkata"))
    assert (local.hour, local.minute) == (6, 30)
    assert body["version"] == job["version"] + 1 and body["schedule_version"] == body["version"]
    assert db.session.get(Execution, planned_id) is None


def test_switching_schedule_type_by_patch(client, alice, job):
    response = client.patch(
        f"{API}/jobs/{job['id']}", json={"schedule_type": "interval", "interval_seconds": 30}, headers=alice
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["schedule_type"] == "interval" and body["cron_expression"] is None
    assert body["job_type"] == "recurring" and body["next_run_at"]


@pytest.mark.parametrize(
    "patch,field",
    [
        ({"schedule_type": "interval"}, "interval_seconds"),
        ({"schedule_type": "once"}, "job_type"),
        ({"job_type": "one_time", "schedule_type": "once"}, "run_at"),
        ({"cron_expression": "61 * * * *"}, "cron_expression"),
        ({"cron_expression": None}, "cron_expression"),
        ({"handler": "http"}, "target"),
        ({"status": "completed"}, "status"),
        ({"name": None}, "name"),
        ({"id": 5}, "id"),
        ({"signing_secret": "mine"}, "signing_secret"),
    ],
)
def test_patch_that_would_leave_an_invalid_job_is_422_and_changes_nothing(client, alice, job, patch, field):
    response = client.patch(
        f"{API}/jobs/{job['id']}", json={**patch, "name": patch.get("name", "Changed")}, headers=alice
    )
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    after = client.get(f"{API}/jobs/{job['id']}", headers=alice).get_json()
    assert after == {name: value for name, value in job.items() if name != "signing_secret"}


def test_renaming_a_one_time_job_whose_time_has_passed_is_allowed(client, alice):
    body = create_job(client, alice, **ONCE, run_at=future(hours=1))
    job = stored(body["id"])
    job.run_at = datetime.now(UTC) - timedelta(hours=1)
    job.status = "completed"
    db.session.commit()
    response = client.patch(f"{API}/jobs/{body['id']}", json={"name": "Done"}, headers=alice)
    assert response.status_code == 200 and response.get_json()["status"] == "completed"


def test_new_run_at_reactivates_a_completed_one_time_job(client, alice):
    body = create_job(client, alice, **ONCE, run_at=future(hours=1))
    job = stored(body["id"])
    job.status, job.next_run_at = "completed", None
    db.session.commit()
    when = future(hours=3)
    response = client.patch(f"{API}/jobs/{body['id']}", json={"run_at": when}, headers=alice)
    assert response.status_code == 200
    assert response.get_json()["status"] == "active"
    assert parse(response.get_json()["next_run_at"]) == parse(when)
    past = client.patch(f"{API}/jobs/{body['id']}", json={"run_at": "2020-01-01T00:00:00Z"}, headers=alice)
    assert past.status_code == 422 and "run_at" in past.get_json()["errors"]


# --- pause, resume ---------------------------------------------------------------------------------


def test_pause_and_resume_by_route_and_by_patch(client, alice, job):
    paused = client.post(f"{API}/jobs/{job['id']}/pause", headers=alice)
    assert paused.status_code == 200
    assert paused.get_json()["status"] == "paused" and paused.get_json()["next_run_at"] is None
    again = client.post(f"{API}/jobs/{job['id']}/pause", headers=alice)
    assert again.status_code == 200 and again.get_json()["status"] == "paused"
    resumed = client.post(f"{API}/jobs/{job['id']}/resume", headers=alice)
    assert resumed.status_code == 200 and resumed.get_json()["status"] == "active"
    assert resumed.get_json()["next_run_at"] == job["next_run_at"]
    by_patch = client.patch(f"{API}/jobs/{job['id']}", json={"status": "paused"}, headers=alice).get_json()
    assert by_patch["status"] == "paused" and by_patch["next_run_at"] is None
    by_patch = client.patch(f"{API}/jobs/{job['id']}", json={"status": "active"}, headers=alice).get_json()
    assert by_patch["status"] == "active" and by_patch["next_run_at"] == job["next_run_at"]


def test_resume_recomputes_next_run_from_now(client, alice):
    body = create_job(client, alice, **INTERVAL, interval_seconds=3600)
    client.post(f"{API}/jobs/{body['id']}/pause", headers=alice)
    job = stored(body["id"])
    job.next_run_at = datetime.now(UTC) - timedelta(days=3)  # what a long pause leaves
    db.session.commit()
    before = datetime.now(UTC)
    resumed = client.post(f"{API}/jobs/{body['id']}/resume", headers=alice).get_json()
    next_run = parse(resumed["next_run_at"])
    assert before + timedelta(seconds=3590) <= next_run <= before + timedelta(seconds=3610)


def test_completed_one_time_job_cannot_be_resumed_or_paused(client, alice):
    body = create_job(client, alice, **ONCE, run_at=future(hours=1))
    job = stored(body["id"])
    job.status, job.next_run_at = "completed", None
    db.session.commit()
    for action in ("resume", "pause"):
        response = client.post(f"{API}/jobs/{body['id']}/{action}", headers=alice)
        assert response.status_code == 409 and response.get_json()["status"] == "Conflict"
    response = client.patch(f"{API}/jobs/{body['id']}", json={"status": "active"}, headers=alice)
    assert response.status_code == 409
    assert stored(body["id"]).status == "completed"


def test_one_time_job_whose_time_passed_while_paused_cannot_resume(client, alice):
    body = create_job(client, alice, **ONCE, run_at=future(hours=1))
    client.post(f"{API}/jobs/{body['id']}/pause", headers=alice)
    job = stored(body["id"])
    job.run_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    response = client.post(f"{API}/jobs/{body['id']}/resume", headers=alice)
    assert response.status_code == 409 and "run_at" in response.get_json()["message"]
    assert stored(body["id"]).status == "paused"


# --- run now, secrets, delete ----------------------------------------------------------------------


def test_execute_creates_a_manual_pending_execution(client, alice, job):
    response = client.post(f"{API}/jobs/{job['id']}/execute", headers=alice)
    assert response.status_code == 202
    body = response.get_json()
    assert body["trigger"] == "manual" and body["status"] == "pending" and body["job_id"] == job["id"]
    assert body["job_name"] == SEED["name"]
    execution = db.session.get(Execution, body["id"])
    assert execution is not None and execution.trigger == "manual"


def test_rotate_secret_returns_a_new_secret_once(client, alice):
    response = client.post(f"{API}/jobs", json=SEED, headers=alice)
    old = response.get_json()["signing_secret"]
    rotated = client.post(f"{API}/jobs/{response.get_json()['id']}/rotate-secret", headers=alice)
    assert rotated.status_code == 200
    new = rotated.get_json()["signing_secret"]
    assert new != old and len(new) >= 32
    assert stored(response.get_json()["id"]).signing_secret == new


def test_delete_removes_the_job_and_its_history(client, alice, job):
    execution = add_execution(job["id"], status="failed", duration_ms=5)
    add_log(execution, "boom", level="error")
    db.session.add(
        Notification(
            execution_id=execution.id,
            job_id=job["id"],
            owner_id=execution.owner_id,
            channel="email",
            recipient="ops@example.com",
        )
    )
    db.session.commit()
    response = client.delete(f"{API}/jobs/{job['id']}", headers=alice)
    assert response.status_code == 204 and response.data == b""
    assert client.get(f"{API}/jobs/{job['id']}", headers=alice).status_code == 404
    db.session.expire_all()
    for model in (Job, Execution, ExecutionLog, Notification):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
    assert client.delete(f"{API}/jobs/{job['id']}", headers=alice).status_code == 404


# --- isolation -------------------------------------------------------------------------------------

ROUTES = [
    ("get", ""),
    ("patch", ""),
    ("delete", ""),
    ("post", "/pause"),
    ("post", "/resume"),
    ("post", "/execute"),
    ("post", "/rotate-secret"),
    ("get", "/executions"),
]


def test_another_users_job_is_404_on_every_route(client, alice, bob, job, subtests):
    secret = stored(job["id"]).signing_secret
    for method, suffix in ROUTES:
        with subtests.test(route=f"{method} /jobs/{{id}}{suffix}"):
            kwargs = {"json": {"name": "Mine now", "status": "paused"}} if method == "patch" else {}
            response = getattr(client, method)(f"{API}/jobs/{job['id']}{suffix}", headers=bob, **kwargs)
            assert response.status_code == 404
            assert response.get_json()["code"] == 404
            after = stored(job["id"])
            assert after is not None and after.name == SEED["name"] and after.status == "active"
            assert after.signing_secret == secret
            assert db.session.scalar(select(func.count()).select_from(Execution)) == 0
    assert client.get(f"{API}/jobs/{job['id']}", headers=alice).get_json()["name"] == SEED["name"]


def test_lists_show_only_your_own_jobs(client, alice, bob, job):
    create_job(client, bob, name="Bob's")
    assert [j["name"] for j in client.get(f"{API}/jobs", headers=bob).get_json()["items"]] == ["Bob's"]
    assert [j["id"] for j in client.get(f"{API}/jobs", headers=alice).get_json()["items"]] == [job["id"]]
