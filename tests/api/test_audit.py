"""The audit log: every action recorded with who, what and from where, credentials masked; read only."""

from __future__ import annotations

from tests.api.support import create_job
from tests.api.teams import API, acting_in, add_member, bearer, make_key, shared_workspace


def events(client, headers, workspace, **query):
    response = client.get(f"{API}/workspaces/{workspace}/audit", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def test_every_action_is_recorded_newest_first(client, alice, bob, auth):
    team = shared_workspace(client, alice)
    as_alice = acting_in(alice, team)
    job = create_job(
        client,
        as_alice,
        handler="http",
        target={
            "url": "https://example.org/hook?token=abc123",
            "headers": {"Authorization": "Bearer s3cret"},
        },
    )
    client.patch(
        f"{API}/jobs/{job['id']}",
        json={"description": "new words", "target": {"url": "https://example.org/hook?token=zzz999"}},
        headers=as_alice,
    )
    client.post(f"{API}/jobs/{job['id']}/pause", headers=as_alice)
    client.post(f"{API}/jobs/{job['id']}/resume", headers=as_alice)
    assert client.post(f"{API}/jobs/{job['id']}/execute", headers=as_alice).status_code == 202
    invitation = client.post(
        f"{API}/workspaces/{team}/invitations",
        json={"email": "bob@example.com", "role": "viewer"},
        headers=alice,
    ).get_json()
    client.post(f"{API}/invitations/{invitation['token']}/accept", headers=bob)
    bob_id = client.get(f"{API}/auth/me", headers=bob).get_json()["id"]
    client.patch(f"{API}/workspaces/{team}/members/{bob_id}", json={"role": "editor"}, headers=alice)
    key = make_key(client, alice, team, role="editor")
    client.post(f"{API}/jobs/{job['id']}/pause", headers=bearer(key["key"]))
    client.delete(f"{API}/workspaces/{team}/api-keys/{key['id']}", headers=alice)
    client.patch(f"{API}/workspaces/{team}", json={"name": "Renamed"}, headers=alice)
    client.delete(f"{API}/workspaces/{team}/members/{bob_id}", headers=alice)
    client.delete(f"{API}/jobs/{job['id']}", headers=as_alice)

    log = events(client, alice, team, limit=100)
    actions = [e["action"] for e in reversed(log)]
    assert actions == [
        "workspace.created",
        "job.created",
        "job.updated",
        "job.paused",
        "job.resumed",
        "job.executed",
        "member.invited",
        "member.joined",
        "member.role_changed",
        "api_key.created",
        "job.paused",
        "api_key.revoked",
        "workspace.updated",
        "member.removed",
        "job.deleted",
    ]
    updated = next(e for e in log if e["action"] == "job.updated")
    assert updated["actor"] == {"type": "user", "id": updated["actor"]["id"], "label": "alice@example.com"}
    assert updated["target"] == {"type": "job", "id": job["id"]}
    assert updated["changes"]["description"] == ["Send newsletter every Monday", "new words"]
    assert "abc123" not in str(log) and "zzz999" not in str(log) and "s3cret" not in str(log)
    assert updated["request_id"] and updated["ip"] == "127.0.0.1"
    by_key = [e for e in log if e["actor"]["type"] == "api_key"]
    assert [e["action"] for e in by_key] == ["job.paused"] and key["prefix"] in by_key[0]["actor"]["label"]
    assert key["key"] not in str(log)

    # Filters.
    assert [e["action"] for e in events(client, alice, team, action="job.paused")] == [
        "job.paused",
        "job.paused",
    ]
    assert {e["action"] for e in events(client, alice, team, actor=f"api_key:{key['id']}")} == {"job.paused"}
    assert len(events(client, alice, team, actor="ALICE@")) == len(log) - 2  # bob joined; the key paused
    assert all(e["action"].startswith("job.") for e in events(client, alice, team, job_id=job["id"]))
    assert events(client, alice, team, since="2999-01-01T00:00:00Z") == []
    assert len(events(client, alice, team, until="2999-01-01T00:00:00Z", limit=100)) == len(log)


def test_the_audit_log_is_for_admins_and_cannot_be_changed(client, alice, bob):
    team = shared_workspace(client, alice)
    add_member(team, "bob@example.com", "editor")
    response = client.get(f"{API}/workspaces/{team}/audit", headers=bob)
    assert (
        response.status_code == 403
        and response.get_json()["message"] == "This needs the admin role (you are editor)."
    )
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)(f"{API}/workspaces/{team}/audit", headers=alice).status_code == 405


def test_a_refused_change_leaves_no_audit_event(client, alice):
    from chronos.extensions import db
    from chronos.models import AuditEvent

    job = create_job(client, alice)
    before = db.session.query(AuditEvent).count()
    assert (
        client.patch(f"{API}/jobs/{job['id']}", json={"cron_expression": "nope"}, headers=alice).status_code
        == 422
    )
    team = shared_workspace(client, alice)
    after_create = db.session.query(AuditEvent).count()
    assert after_create == before + 1  # only workspace.created
    members = client.get(f"{API}/workspaces/{team}/members", headers=alice).get_json()["items"]
    response = client.patch(
        f"{API}/workspaces/{team}/members/{members[0]['user_id']}", json={"role": "viewer"}, headers=alice
    )
    assert response.status_code == 409
    assert db.session.query(AuditEvent).count() == after_create
