"""The API shows every credential masked by the one rule (chronos.masking), and keeps the stored ones
when a client sends the masks back."""

from __future__ import annotations

from chronos.extensions import db
from chronos.masking import MASK
from chronos.models import Job, Notification

from .support import API, add_execution, create_job

CREDENTIAL_HEADERS = {
    "X-Signature": "sig-1234",
    "X-Session-Id": "sess-5678",
    "X-Hub-Signature-256": "sha-9",
    "Cookie": "c=1",
    "X-Api-Key": "k1",
    "Authorization": "Bearer b-1",
    "X-CSRF-Token": "x",
}
PLAIN_HEADERS = {"Accept": "application/json", "X-Request-Id": "req-1", "Content-Type": "text/plain"}


def _stored(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_every_credential_header_and_url_credential_reads_masked(client, alice):
    body = create_job(
        client,
        alice,
        handler="http",
        target={
            "url": "https://hooks.example.com/x?api_key=k-123&page=2",
            "headers": {**CREDENTIAL_HEADERS, **PLAIN_HEADERS},
        },
        notify_webhook_url="https://chat.example.com/hook?token=wh-77",
    )
    for shown in (
        body,
        client.get(f"{API}/jobs/{body['id']}", headers=alice).get_json(),
        client.get(f"{API}/jobs", headers=alice).get_json()["items"][0],
    ):
        assert shown["target"]["headers"] == {**{name: MASK for name in CREDENTIAL_HEADERS}, **PLAIN_HEADERS}
        assert shown["target"]["url"] == f"https://hooks.example.com/x?api_key={MASK}&page=2"
        assert shown["notify_webhook_url"] == f"https://chat.example.com/hook?token={MASK}"
    job = _stored(body["id"])
    assert job.target["headers"]["X-Signature"] == "sig-1234" and "k-123" in job.target["url"]


def test_sending_the_masks_back_keeps_every_stored_credential(client, alice):
    body = create_job(
        client,
        alice,
        handler="http",
        target={
            "url": "https://bot:pw-1@hooks.example.com/x?token=t-1",
            "headers": {"X-Session-Id": "sess-5678"},
        },
        notify_webhook_url="https://chat.example.com/hook?token=wh-77",
    )
    shown = client.get(f"{API}/jobs/{body['id']}", headers=alice).get_json()
    response = client.patch(
        f"{API}/jobs/{body['id']}",
        headers=alice,
        json={
            "target": {**shown["target"], "url": shown["target"]["url"] + "&page=3"},
            "notify_webhook_url": shown["notify_webhook_url"],
            "name": "renamed",
        },
    )
    assert response.status_code == 200, response.get_json()
    job = _stored(body["id"])
    assert job.target["url"] == "https://bot:pw-1@hooks.example.com/x?token=t-1&page=3"
    assert job.target["headers"] == {"X-Session-Id": "sess-5678"}
    assert job.notify_webhook_url == "https://chat.example.com/hook?token=wh-77"


def test_a_masked_url_credential_never_follows_the_url_to_another_host(client, alice):
    body = create_job(client, alice, handler="http", target={"url": "https://hooks.example.com/x?token=t-1"})
    shown = client.get(f"{API}/jobs/{body['id']}", headers=alice).get_json()["target"]
    moved = {**shown, "url": shown["url"].replace("hooks.example.com", "elsewhere.example.net")}
    response = client.patch(f"{API}/jobs/{body['id']}", headers=alice, json={"target": moved})
    assert response.status_code == 422
    assert "target" in response.get_json()["errors"]
    assert _stored(body["id"]).target["url"] == "https://hooks.example.com/x?token=t-1"


def test_user_and_password_in_the_url_with_an_authorization_header_is_refused(client, alice):
    response = client.post(
        f"{API}/jobs",
        headers=alice,
        json={
            "name": "both",
            "schedule_type": "interval",
            "interval_seconds": 60,
            "handler": "http",
            "target": {"url": "https://u:p@example.com/", "headers": {"Authorization": "Bearer x"}},
        },
    )
    assert response.status_code == 422 and "url" in response.get_json()["errors"]["target"]


def test_a_webhook_recipient_reads_masked_in_notifications(client, alice):
    body = create_job(client, alice, notify_webhook_url="https://chat.example.com/hook?token=wh-77")
    execution = add_execution(body["id"], status="failed")
    db.session.add(
        Notification(
            execution_id=execution.id,
            job_id=body["id"],
            owner_id=execution.owner_id,
            channel="webhook",
            kind="failure",
            status="sent",
            recipient="https://chat.example.com/hook?token=wh-77",
        )
    )
    db.session.commit()
    detail = client.get(f"{API}/executions/{execution.id}", headers=alice).get_json()
    listed = client.get(f"{API}/executions/{execution.id}/notifications", headers=alice).get_json()["items"]
    for notice in (detail["notifications"][0], listed[0]):
        assert notice["recipient"] == f"https://chat.example.com/hook?token={MASK}"
