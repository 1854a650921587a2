"""Health probes: /health, /health/live, /health/ready; no sign-in, never rate limited."""
from __future__ import annotations

from datetime import timedelta

import pytest
from huey import RedisHuey

from chronos import create_app
from chronos import health as health_module
from chronos.extensions import db
from chronos.models import WorkerHeartbeat, utcnow

from .support import API


def test_health_reports_database_and_queue(client):
    response = client.get(f"{API}/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "queue": "ok"}


def test_live_is_always_ok(client):
    assert client.get(f"{API}/health/live").get_json() == {"status": "ok"}


def test_ready_counts_workers_seen_in_the_last_minute(client, any_app):
    db.session.add_all([WorkerHeartbeat(worker="a", last_seen=utcnow()),
                        WorkerHeartbeat(worker="b", last_seen=utcnow() - timedelta(seconds=5)),
                        WorkerHeartbeat(worker="gone", last_seen=utcnow() - timedelta(minutes=5))])
    db.session.commit()
    response = client.get(f"{API}/health/ready")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "queue": "ok", "workers": 2}


def test_ready_requires_a_worker_only_when_configured(client, any_app):
    assert client.get(f"{API}/health/ready").status_code == 200  # 0 workers, not required
    any_app.config["READY_REQUIRES_WORKER"] = True
    try:
        response = client.get(f"{API}/health/ready")
        assert response.status_code == 503 and response.get_json()["workers"] == 0
        db.session.add(WorkerHeartbeat(worker="a", last_seen=utcnow()))
        db.session.commit()
        assert client.get(f"{API}/health/ready").status_code == 200
    finally:
        any_app.config["READY_REQUIRES_WORKER"] = False


def test_unreachable_queue_is_reported_but_health_stays_200(client, monkeypatch):
    # A real Redis client aimed at a loopback port where nothing listens: the queue is down.
    monkeypatch.setattr(health_module, "huey", RedisHuey("down", url="redis://127.0.0.1:1/0"))
    response = client.get(f"{API}/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "ok" and body["queue"].startswith("error: ")
    ready = client.get(f"{API}/health/ready")
    assert ready.status_code == 503 and ready.get_json()["queue"].startswith("error: ")


@pytest.fixture
def down_app():
    """The app on a PostgreSQL URL where nothing listens (loopback port 1)."""
    return create_app({"TESTING": True, "RATELIMIT_ENABLED": False,
                       "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/chronos",
                       "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}}})


def test_unreachable_database_is_503(down_app):
    client = down_app.test_client()
    response = client.get(f"{API}/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error" and body["database"].startswith("error: ") and body["queue"] == "ok"
    assert "postgres@" not in body["database"]  # no connection string in the answer
    ready = client.get(f"{API}/health/ready")
    assert ready.status_code == 503 and ready.get_json()["workers"] is None
    assert client.get(f"{API}/health/live").status_code == 200
