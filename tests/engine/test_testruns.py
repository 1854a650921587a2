"""The editor's "Test run" end to end: the API queues it, a real consumer process makes the call.

On PostgreSQL and on the embedded SQLite database (the consumer shares the test's database file).
"""
from __future__ import annotations

import json

import pytest

from tests.api.support import API
from tests.conftest import Auth
from tests.live import wait_for

from .conftest import Consumers


@pytest.fixture
def consumers_for(any_app, tmp_path):
    """Start consumers on the same database as `any_app` (PostgreSQL or its SQLite file)."""
    manager = Consumers(tmp_path)

    def start() -> None:
        manager.start(workers=2, extra_env={"DATABASE_URL": any_app.config["SQLALCHEMY_DATABASE_URI"]})

    yield start
    manager.stop_all()


def test_a_consumer_makes_the_test_call_and_records_the_outcome(any_app, consumers_for, receiver):
    client = any_app.test_client()
    alice = Auth(client).headers("alice@example.com")
    consumers_for()
    response = client.post(f"{API}/test-runs", headers=alice, json={
        "handler": "http", "name": "Ping", "timeout_seconds": 5,
        "target": {"url": f"{receiver.url}/try", "headers": {"Authorization": "Bearer s3cret"}},
        "payload": {"hello": "worker"}})
    assert response.status_code == 202
    test_run_id = response.get_json()["id"]

    def finished():
        body = client.get(f"{API}/test-runs/{test_run_id}", headers=alice).get_json()
        return body if body["status"] in ("succeeded", "failed") else None

    done = wait_for(finished, 20, message="the test run to finish")
    assert done["status"] == "succeeded", done
    assert done["result"]["http_status"] == 200
    [call] = receiver.requests
    assert call.path == "/try" and json.loads(call.body) == {"hello": "worker"}
    assert call.headers["Authorization"] == "Bearer s3cret"
    assert done["target"]["headers"] == {"Authorization": "****"}
    assert "s3cret" not in json.dumps(done)

    # A log test run through the same consumer.
    response = client.post(f"{API}/test-runs", headers=alice, json={"name": "Note", "payload": [1, 2]})
    test_run_id = response.get_json()["id"]
    done = wait_for(finished, 20, message="the log test run")
    assert done["status"] == "succeeded" and done["logs"][0]["data"] == {"payload": [1, 2]}
