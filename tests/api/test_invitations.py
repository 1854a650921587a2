"""Invitations: a link that works once, for the invited address, with the invited role; e-mailed by SMTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chronos.extensions import db
from chronos.models import Invitation
from tests.api.support import create_job
from tests.api.teams import API, acting_in, add_member, shared_workspace
from tests.notify.conftest import SMTPSink


def invite(client, headers, workspace, email="bob@example.com", role="viewer"):
    response = client.post(
        f"{API}/workspaces/{workspace}/invitations", json={"email": email, "role": role}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_the_invitee_accepts_and_sees_the_shared_job_as_viewer(client, alice, bob, any_app, monkeypatch):
    monkeypatch.setitem(any_app.config, "PUBLIC_BASE_URL", "https://chronos.example.org/")
    team = shared_workspace(client, alice, "Platform")
    job = create_job(client, acting_in(alice, team))
    invitation = invite(client, alice, team, email=" Bob@Example.com ")
    assert invitation["email"] == "bob@example.com" and invitation["emailed"] is False
    assert invitation["accept_url"] == f"https://chronos.example.org/invitations/{invitation['token']}"
    pending = client.get(f"{API}/workspaces/{team}/invitations", headers=alice).get_json()["items"]
    assert [p["id"] for p in pending] == [invitation["id"]] and "token" not in pending[0]

    details = client.get(f"{API}/invitations/{invitation['token']}", headers=bob).get_json()
    assert details["workspace_name"] == "Platform" and details["role"] == "viewer"
    response = client.post(f"{API}/invitations/{invitation['token']}/accept", headers=bob)
    assert response.status_code == 200 and response.get_json()["id"] == team
    assert client.get(f"{API}/jobs/{job['id']}", headers=acting_in(bob, team)).status_code == 200
    assert (
        client.patch(f"{API}/jobs/{job['id']}", json={"name": "x"}, headers=acting_in(bob, team)).status_code
        == 403
    )
    # Used: the link is spent.
    again = client.post(f"{API}/invitations/{invitation['token']}/accept", headers=bob)
    assert again.status_code == 410 and "already used" in again.get_json()["message"]
    assert client.get(f"{API}/workspaces/{team}/invitations", headers=alice).get_json()["total"] == 0


def test_wrong_address_revoked_expired_and_unknown_links(client, alice, bob, auth):
    carol = auth.headers("carol@example.com")
    team = shared_workspace(client, alice)
    invitation = invite(client, alice, team)
    wrong = client.post(f"{API}/invitations/{invitation['token']}/accept", headers=carol)
    assert wrong.status_code == 403 and "another e-mail" in wrong.get_json()["message"]
    assert (
        client.delete(f"{API}/workspaces/{team}/invitations/{invitation['id']}", headers=alice).status_code
        == 204
    )
    revoked = client.post(f"{API}/invitations/{invitation['token']}/accept", headers=bob)
    assert revoked.status_code == 410 and "withdrawn" in revoked.get_json()["message"]

    expiring = invite(client, alice, team)
    stored = db.session.get(Invitation, expiring["id"])
    stored.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    expired = client.post(f"{API}/invitations/{expiring['token']}/accept", headers=bob)
    assert expired.status_code == 410 and "expired" in expired.get_json()["message"]
    assert client.post(f"{API}/invitations/not-a-token/accept", headers=bob).status_code == 404
    assert client.get(f"{API}/invitations/not-a-token", headers=bob).status_code == 404
    assert client.get(f"{API}/invitations/{expiring['token']}").status_code == 401


def test_roles_and_rules_of_inviting(client, alice, bob):
    team = shared_workspace(client, alice)
    add_member(team, "bob@example.com", "admin")
    # An admin invites up to admin, never an owner.
    assert (
        client.post(
            f"{API}/workspaces/{team}/invitations",
            json={"email": "x@example.com", "role": "owner"},
            headers=bob,
        ).status_code
        == 403
    )
    invite(client, bob, team, email="x@example.com", role="admin")
    response = client.post(
        f"{API}/workspaces/{team}/invitations",
        json={"email": "alice@example.com", "role": "viewer"},
        headers=alice,
    )
    assert response.status_code == 409 and "already a member" in response.get_json()["message"]
    bad = client.post(
        f"{API}/workspaces/{team}/invitations", json={"email": "nope", "role": "viewer"}, headers=alice
    )
    assert bad.status_code == 422 and "email" in bad.get_json()["errors"]


@pytest.fixture
def smtp(any_app, monkeypatch):
    sink = SMTPSink().start()
    for key, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": sink.port,
        "SMTP_FROM": "chronos@chronos.test",
        "SMTP_STARTTLS": False,
        "SMTP_SSL": False,
        "SMTP_USERNAME": None,
        "SMTP_PASSWORD": None,
        "MAIL_CONSOLE": False,
    }.items():
        monkeypatch.setitem(any_app.config, key, value)
    yield sink
    sink.stop()


def test_the_invitation_is_emailed_when_smtp_is_configured(client, alice, smtp):
    team = shared_workspace(client, alice, "Platform")
    invitation = invite(client, alice, team, email="grace@example.com", role="editor")
    assert invitation["emailed"] is True
    (message,) = smtp.messages_to("grace@example.com")
    assert "Platform" in message["Subject"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert invitation["accept_url"] in body and "editor" in body
