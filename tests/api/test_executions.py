"""Execution history and logs (rows inserted as the engine would leave them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .support import API, add_execution, add_log, create_job


def test_job_executions_newest_first_with_status_filter(client, alice, job):
    now = datetime.now(UTC)
    ids = [
        add_execution(job["id"], status=status, scheduled_for=now - timedelta(minutes=10 - i)).id
        for i, status in enumerate(["succeeded", "failed", "succeeded"])
    ]
    page = client.get(f"{API}/jobs/{job['id']}/executions", headers=alice).get_json()
    assert [item["id"] for item in page["items"]] == ids[::-1]
    assert (page["page"], page["limit"], page["total"]) == (1, 20, 3)
    failed = client.get(f"{API}/jobs/{job['id']}/executions?status=failed", headers=alice).get_json()
    assert [item["id"] for item in failed["items"]] == [ids[1]] and failed["total"] == 1
    second = client.get(f"{API}/jobs/{job['id']}/executions?limit=2&page=2", headers=alice).get_json()
    assert [item["id"] for item in second["items"]] == [ids[0]]
    for query in ("status=exploded", "limit=500", "page=0"):
        assert client.get(f"{API}/jobs/{job['id']}/executions?{query}", headers=alice).status_code == 422


def test_execution_detail_has_attempts_reason_and_job_name(client, alice, job):
    attempts = [
        {"attempt": 1, "status": "failed", "error": "HTTP 503"},
        {"attempt": 2, "status": "succeeded", "error": None},
    ]
    execution = add_execution(
        job["id"],
        status="succeeded",
        duration_ms=120,
        attempt=2,
        attempts=attempts,
        result={"http_status": 200},
        trigger="catch_up",
        reason=None,
        missed_count=3,
    )
    body = client.get(f"{API}/executions/{execution.id}", headers=alice).get_json()
    assert body["id"] == execution.id and body["job_id"] == job["id"] and body["job_name"] == job["name"]
    assert body["job_timezone"] == job["timezone"]
    assert body["status"] == "succeeded" and body["trigger"] == "catch_up" and body["attempt"] == 2
    assert body["attempts"] == attempts and body["result"] == {"http_status": 200}
    assert body["missed_count"] == 3 and body["reason"] is None and body["duration_ms"] == 120
    for name in ("scheduled_for", "started_at", "finished_at"):
        assert datetime.fromisoformat(body[name]).tzinfo is not None


def test_skipped_execution_shows_its_reason(client, alice, job):
    execution = add_execution(job["id"], status="skipped", reason="paused")
    body = client.get(f"{API}/executions/{execution.id}", headers=alice).get_json()
    assert body["status"] == "skipped" and body["reason"] == "paused"


def test_logs_are_oldest_first_and_filter_by_attempt(client, alice, job):
    execution = add_execution(job["id"], status="succeeded", attempt=2)
    add_log(execution, "attempt one starts", attempt=1)
    add_log(execution, "attempt one failed", attempt=1, level="error", data={"status": 503})
    add_log(execution, "attempt two ok", attempt=2)
    page = client.get(f"{API}/executions/{execution.id}/logs", headers=alice).get_json()
    assert [line["message"] for line in page["items"]] == [
        "attempt one starts",
        "attempt one failed",
        "attempt two ok",
    ]
    assert page["total"] == 3
    line = page["items"][1]
    assert set(line) == {"id", "timestamp", "level", "message", "attempt", "data"}
    assert line["level"] == "error" and line["data"] == {"status": 503} and line["attempt"] == 1
    second = client.get(f"{API}/executions/{execution.id}/logs?attempt=2", headers=alice).get_json()
    assert [line["message"] for line in second["items"]] == ["attempt two ok"]
    paged = client.get(f"{API}/executions/{execution.id}/logs?limit=1&page=2", headers=alice).get_json()
    assert [line["message"] for line in paged["items"]] == ["attempt one failed"]


def test_all_executions_of_the_user(client, alice, job):
    other = create_job(client, alice, name="Other")
    first = add_execution(job["id"], status="failed")
    second = add_execution(other["id"], status="succeeded")
    everything = client.get(f"{API}/executions", headers=alice).get_json()
    assert [item["id"] for item in everything["items"]] == [second.id, first.id]
    assert {item["job_name"] for item in everything["items"]} == {"Weekly Newsletter", "Other"}
    by_job = client.get(f"{API}/executions?job_id={other['id']}", headers=alice).get_json()
    assert [item["id"] for item in by_job["items"]] == [second.id]
    failed = client.get(f"{API}/executions?status=failed", headers=alice).get_json()
    assert [item["id"] for item in failed["items"]] == [first.id]


def test_missing_execution_is_404(client, alice, job):
    for path in (
        "/executions/424242",
        "/executions/424242/logs",
        "/executions/x",
        "/executions/99999999999999999999999",
    ):
        response = client.get(f"{API}{path}", headers=alice)
        assert response.status_code == 404 and response.get_json()["code"] == 404, path


def test_another_users_executions_are_404(client, alice, bob, job):
    execution = add_execution(job["id"], status="failed")
    add_log(execution, "secret detail")
    for path in (
        f"/executions/{execution.id}",
        f"/executions/{execution.id}/logs",
        f"/jobs/{job['id']}/executions",
    ):
        response = client.get(f"{API}{path}", headers=bob)
        assert response.status_code == 404, path
        assert "secret" not in response.get_data(as_text=True)
    assert client.get(f"{API}/executions", headers=bob).get_json() == {
        "items": [],
        "page": 1,
        "limit": 20,
        "total": 0,
    }
    assert client.get(f"{API}/executions?job_id={job['id']}", headers=bob).get_json()["total"] == 0
    assert client.get(f"{API}/executions/{execution.id}", headers=alice).status_code == 200


def test_history_needs_a_token(client, job):
    execution = add_execution(job["id"])
    for path in (f"/executions/{execution.id}", f"/executions/{execution.id}/logs", "/executions"):
        assert client.get(f"{API}{path}").status_code == 401


def test_history_shows_what_happened_and_planned_slots_only_on_request(client, alice, job):
    now = datetime.now(UTC)
    ran = add_execution(job["id"], status="succeeded", scheduled_for=now - timedelta(minutes=2))
    late = add_execution(job["id"], status="pending", scheduled_for=now - timedelta(minutes=1))
    planned = [
        add_execution(job["id"], status="pending", scheduled_for=now + timedelta(seconds=s)) for s in (30, 60)
    ]
    for path in (f"{API}/jobs/{job['id']}/executions", f"{API}/executions"):
        history = client.get(path, headers=alice).get_json()
        assert {e["id"] for e in history["items"]} == {ran.id, late.id} and history["total"] == 2
        everything = client.get(path, query_string={"include": "planned"}, headers=alice).get_json()
        assert {e["id"] for e in everything["items"]} == {ran.id, late.id, *(p.id for p in planned)}
        upcoming = client.get(
            path, query_string={"include": "planned", "status": "pending"}, headers=alice
        ).get_json()
        assert {e["id"] for e in upcoming["items"]} == {late.id, *(p.id for p in planned)}
        bad = client.get(path, query_string={"include": "everything"}, headers=alice)
        assert bad.status_code == 422 and "include" in bad.get_json()["errors"]
