"""POST /test-runs and GET /test-runs/{id}: the web queues, a worker calls (run in-process here).

The end-to-end path with a real consumer process is in tests/engine/test_testruns.py.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chronos import testruns
from chronos.extensions import db, limiter
from chronos.handlers.signing import verify
from chronos.models import Job, TestRun, db_now

from .support import API, create_job


def start(client, headers, **body):
    response = client.post(f"{API}/test-runs", json=body, headers=headers)
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def read(client, headers, test_run_id):
    response = client.get(f"{API}/test-runs/{test_run_id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def allow_loopback(any_app):
    """Let the worker call the local receiver (an operator's HTTP_ALLOWLIST)."""
    any_app.config["HTTP_ALLOWLIST"] = ["127.0.0.1"]
    yield
    any_app.config["HTTP_ALLOWLIST"] = []


def test_a_log_test_run_is_queued_then_run_by_the_worker(client, alice):
    queued = start(client, alice, name="Heartbeat", payload={"hello": "world"})
    assert queued["status"] == "pending" and queued["handler"] == "log" and queued["name"] == "Heartbeat"
    assert queued["started_at"] is None and queued["result"] is None and queued["logs"] == []
    # The web process only queued it: nothing has run.
    assert read(client, alice, queued["id"])["status"] == "pending"

    testruns.run(queued["id"])  # what the worker's task does
    done = read(client, alice, queued["id"])
    assert done["status"] == "succeeded" and done["error"] is None
    assert done["result"] == {"logged": True} and done["duration_ms"] >= 0
    [line] = done["logs"]
    assert line["message"] == "Job 'Heartbeat' fired (test)." and line["data"] == {"payload": {"hello": "world"}}
    # Delivered twice: the second delivery finds nothing to claim.
    testruns.run(queued["id"])
    assert read(client, alice, queued["id"]) == done


def test_an_http_test_run_calls_the_target_and_forgets_its_secret(client, alice, receiver, allow_loopback):
    queued = start(client, alice, handler="http", name="Ping", timeout_seconds=5, target={
        "url": f"{receiver.url}/hook", "method": "POST",
        "headers": {"Authorization": "Bearer s3cret", "X-Plain": "visible"}}, payload={"n": 1})
    # Never shown, not even while it waits.
    assert queued["target"]["headers"] == {"Authorization": "****", "X-Plain": "visible"}
    assert "s3cret" not in json.dumps(read(client, alice, queued["id"]))

    testruns.run(queued["id"])
    [call] = receiver.wait_for_requests(1)
    assert call.path == "/hook" and call.headers["Authorization"] == "Bearer s3cret"
    assert json.loads(call.body) == {"n": 1}
    # A receiver can tell a test from a real execution: no execution has id 0 or attempt 0.
    assert call.headers["X-Chronos-Execution-Id"] == "0" and call.headers["X-Chronos-Attempt"] == "0"

    done = read(client, alice, queued["id"])
    assert done["status"] == "succeeded" and done["result"]["http_status"] == 200
    assert '"received"' in done["result"]["body_excerpt"]
    assert any(line["message"].startswith("POST ") for line in done["logs"])
    # The secret is gone from the row itself, not only from the response.
    db.session.expire_all()
    stored = db.session.get(TestRun, queued["id"])
    assert stored.target["headers"] == {"Authorization": "****", "X-Plain": "visible"}
    assert "s3cret" not in json.dumps(done)


def test_the_address_rules_of_executions_apply(client, alice, receiver):
    queued = start(client, alice, handler="http", target={"url": f"{receiver.url}/nope"})
    testruns.run(queued["id"])
    done = read(client, alice, queued["id"])
    assert done["status"] == "failed" and done["error"].startswith("Refused:")
    assert receiver.requests == []


def test_a_saved_job_lends_its_secret_header_and_signing_secret(client, alice, receiver, allow_loopback):
    job = create_job(client, alice, name="Saved", handler="http", target={
        "url": f"{receiver.url}/old", "headers": {"X-Api-Key": "k-123"}})
    # The editor sends back the masked value it was shown.
    queued = start(client, alice, handler="http", job_id=job["id"], target={
        "url": f"{receiver.url}/new", "headers": {"X-Api-Key": "****"}})
    assert queued["job_id"] == job["id"] and queued["name"] == "Saved"
    testruns.run(queued["id"])
    [call] = receiver.wait_for_requests(1)
    assert call.path == "/new" and call.headers["X-Api-Key"] == "k-123"
    secret = db.session.get(Job, job["id"]).signing_secret
    assert verify(secret, call.headers["X-Chronos-Timestamp"], call.body, call.headers["X-Chronos-Signature"])


def test_another_users_test_run_and_job_are_404(client, alice, bob):
    queued = start(client, alice)
    response = client.get(f"{API}/test-runs/{queued['id']}", headers=bob)
    assert response.status_code == 404 and response.get_json()["code"] == 404
    assert client.get(f"{API}/test-runs/999999", headers=alice).status_code == 404
    job = create_job(client, alice)
    response = client.post(f"{API}/test-runs", json={"job_id": job["id"]}, headers=bob)
    assert response.status_code == 404
    assert db.session.query(TestRun).count() == 1


@pytest.mark.parametrize("body,field", [
    ({"handler": "http"}, "target"),
    ({"handler": "http", "target": {"url": "ftp://example.org/x"}}, "target"),
    ({"handler": "nope"}, "handler"),
    ({"timeout_seconds": 0}, "timeout_seconds"),
    ({"timeout_seconds": "5"}, "timeout_seconds"),
    ({"job_id": 0}, "job_id"),
    ({"surprise": True}, "surprise"),
])
def test_bad_input_is_422_naming_the_field_and_stores_nothing(client, alice, body, field):
    response = client.post(f"{API}/test-runs", json=body, headers=alice)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert db.session.query(TestRun).count() == 0


def test_needs_a_token(client):
    assert client.post(f"{API}/test-runs", json={}).status_code == 401
    assert client.get(f"{API}/test-runs/1").status_code == 401


def test_a_test_run_left_waiting_is_never_run_late_and_is_purged(client, alice, receiver, allow_loopback):
    queued = start(client, alice, handler="http", target={
        "url": f"{receiver.url}/late", "headers": {"Authorization": "Bearer s3cret"}})
    stored = db.session.get(TestRun, queued["id"])
    stored.created_at = db_now() - timedelta(minutes=11)
    db.session.commit()
    testruns.run(queued["id"])  # a worker comes back after eleven minutes
    assert receiver.requests == []
    testruns.purge()
    done = read(client, alice, queued["id"])
    assert done["status"] == "failed"
    assert done["error"] == "No worker picked this test run up within 10 min; is a worker running?"
    db.session.expire_all()
    assert db.session.get(TestRun, queued["id"]).target["headers"] == {"Authorization": "****"}

    # A day later it is gone.
    db.session.get(TestRun, queued["id"]).created_at = db_now() - timedelta(hours=25)
    recent = start(client, alice)
    db.session.commit()
    testruns.purge()
    assert client.get(f"{API}/test-runs/{queued['id']}", headers=alice).status_code == 404
    assert read(client, alice, recent["id"])["status"] == "pending"


def test_queue_down_fails_the_test_run_plainly(client, alice, monkeypatch):
    from chronos import tasks

    def broken(*args, **kwargs):
        raise ConnectionError("Redis is away")

    monkeypatch.setattr(tasks, "run_test_run", broken)
    queued = start(client, alice, handler="http", target={"url": "https://example.org/x",
                                                          "headers": {"Authorization": "Bearer s3cret"}})
    assert queued["status"] == "failed"
    assert queued["error"] == "Could not queue the test run: the queue is unreachable."
    assert db.session.get(TestRun, queued["id"]).target["headers"] == {"Authorization": "****"}


def test_test_runs_are_limited_per_user(app, monkeypatch):
    from chronos import create_app
    from tests.conftest import PG_URL, Auth

    limited = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": PG_URL, "RATELIMIT_ENABLED": True,
                          "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_AUTH": "100 per minute",
                          "TEST_RUN_RATE_LIMIT": "2 per minute"})
    try:
        limiter.reset()
        client = limited.test_client()
        auth = Auth(client)
        alice, bob = auth.headers("alice@example.com"), auth.headers("bob@example.com")
        codes = [client.post(f"{API}/test-runs", json={}, headers=alice).status_code for _ in range(3)]
        assert codes == [202, 202, 429]
        assert client.post(f"{API}/test-runs", json={}, headers=bob).status_code == 202
        # Reading them is not limited by it.
        assert client.get(f"{API}/test-runs/1", headers=alice).status_code == 200
    finally:
        limiter.enabled = False


def test_openapi_documents_both_routes(client):
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]
    post = paths["/api/v1/test-runs"]["post"]
    assert {"202", "401", "404", "422", "429"} <= set(post["responses"])
    assert {"200", "401", "404"} <= set(paths["/api/v1/test-runs/{test_run_id}"]["get"]["responses"])
    assert {"200", "401"} <= set(paths["/api/v1/system/status"]["get"]["responses"])
