"""GET /executions/{id}/notifications and /jobs/{id}/notifications: the owner sees them, nobody else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chronos.extensions import db
from chronos.models import Notification
from tests.factories import make_finished_execution, make_newsletter_job, make_user, token_headers


def _notification(execution, **overrides) -> Notification:
    values = {
        "execution_id": execution.id,
        "job_id": execution.job_id,
        "owner_id": execution.owner_id,
        "channel": "email",
        "kind": "failure",
        "recipient": "alice@example.com",
        "status": "sent",
        "tries": 1,
        "created_at": datetime(2026, 12, 7, 14, 1, tzinfo=UTC),
        "sent_at": datetime(2026, 12, 7, 14, 1, 2, tzinfo=UTC),
    }
    values.update(overrides)
    row = Notification(**values)
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def world(any_app):
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    job = make_newsletter_job(alice)
    first, second = make_finished_execution(job), make_finished_execution(job)
    _notification(first)
    _notification(
        first,
        channel="webhook",
        recipient="http://127.0.0.1:9/hook",
        status="failed",
        tries=4,
        error="Webhook: HTTP 503 Service Unavailable",
        sent_at=None,
    )
    _notification(second, status="suppressed", tries=0, sent_at=None)
    return {
        "alice": token_headers(alice),
        "bob": token_headers(bob),
        "job": job,
        "first": first,
        "second": second,
    }


def test_owner_sees_an_executions_notifications(client, world):
    response = client.get(f"/api/v1/executions/{world['first'].id}/notifications", headers=world["alice"])
    assert response.status_code == 200
    body = response.get_json()
    assert (body["page"], body["limit"], body["total"]) == (1, 20, 2)
    email, webhook = body["items"]
    assert (
        email["channel"] == "email"
        and email["status"] == "sent"
        and email["recipient"] == "alice@example.com"
    )
    assert email["sent_at"].startswith("2026-12-07T14:01:02") and email["sent_at"].endswith("+00:00")
    assert webhook == {
        **webhook,
        "channel": "webhook",
        "status": "failed",
        "tries": 4,
        "sent_at": None,
        "error": "Webhook: HTTP 503 Service Unavailable",
        "kind": "failure",
        "execution_id": world["first"].id,
        "job_id": world["job"].id,
        "suppressed_count": 0,
    }
    assert set(email) == {
        "id",
        "execution_id",
        "job_id",
        "channel",
        "kind",
        "recipient",
        "status",
        "tries",
        "error",
        "suppressed_count",
        "created_at",
        "sent_at",
    }


def test_execution_detail_embeds_its_notifications(client, world):
    body = client.get(f"/api/v1/executions/{world['first'].id}", headers=world["alice"]).get_json()
    assert [(n["channel"], n["status"]) for n in body["notifications"]] == [
        ("email", "sent"),
        ("webhook", "failed"),
    ]


def test_owner_sees_a_jobs_notifications_newest_first_paginated(client, world):
    url = f"/api/v1/jobs/{world['job'].id}/notifications"
    body = client.get(url, headers=world["alice"]).get_json()
    assert body["total"] == 3 and [i["status"] for i in body["items"]] == ["suppressed", "failed", "sent"]
    page2 = client.get(url + "?page=2&limit=2", headers=world["alice"]).get_json()
    assert (page2["page"], page2["limit"], page2["total"]) == (2, 2, 3)
    assert [i["status"] for i in page2["items"]] == ["sent"]


def test_another_user_gets_404(client, world):
    for url in (
        f"/api/v1/executions/{world['first'].id}/notifications",
        f"/api/v1/jobs/{world['job'].id}/notifications",
    ):
        response = client.get(url, headers=world["bob"])
        assert response.status_code == 404
        body = response.get_json()
        assert body["code"] == 404 and "items" not in body and "alice" not in response.get_data(as_text=True)


def test_missing_objects_and_no_token(client, world):
    assert client.get("/api/v1/executions/999999/notifications", headers=world["alice"]).status_code == 404
    assert client.get("/api/v1/jobs/999999/notifications", headers=world["alice"]).status_code == 404
    assert client.get(f"/api/v1/jobs/{world['job'].id}/notifications").status_code == 401


@pytest.mark.parametrize("query", ["page=0", "limit=0", "limit=101", "page=x"])
def test_bad_paging_is_422_naming_the_field(client, world, query):
    response = client.get(f"/api/v1/jobs/{world['job'].id}/notifications?{query}", headers=world["alice"])
    assert response.status_code == 422
    assert query.split("=")[0] in response.get_json()["errors"]


def test_smtp_password_is_not_in_responses(client, world, any_app, monkeypatch):
    monkeypatch.setitem(any_app.config, "SMTP_PASSWORD", "hunter2-smtp")
    _notification(
        world["second"],
        recipient="ops@example.com",
        status="failed",
        error="SMTP 127.0.0.1:25 answered 535 bad credentials",
    )
    text = client.get(f"/api/v1/jobs/{world['job'].id}/notifications", headers=world["alice"]).get_data(
        as_text=True
    )
    assert "hunter2-smtp" not in text and "535" in text


def test_openapi_documents_the_routes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/executions/{execution_id}/notifications" in spec["paths"]
    assert "/api/v1/jobs/{job_id}/notifications" in spec["paths"]
    assert "Notification" in spec["components"]["schemas"]
