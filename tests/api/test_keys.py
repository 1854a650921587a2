"""API keys: shown once, stored as a digest, acting in their own workspace with their own role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chronos.extensions import db
from chronos.models import ApiKey, digest
from tests.api.support import SEED, create_job
from tests.api.teams import API, acting_in, add_member, bearer, make_key, personal, shared_workspace


def test_a_key_is_shown_once_stored_as_a_digest_and_listed_by_prefix(client, alice):
    workspace = personal(client, alice)["id"]
    created = make_key(client, alice, workspace, role="viewer")
    assert created["key"].startswith("chr_") and len(created["key"]) >= 36
    assert created["prefix"] == created["key"][:12] and created["role"] == "viewer"
    stored = db.session.get(ApiKey, created["id"])
    assert stored.key_hash == digest(created["key"]) and created["key"] not in str(vars(stored))
    listed = client.get(f"{API}/workspaces/{workspace}/api-keys", headers=alice).get_json()
    (item,) = listed["items"]
    assert "key" not in item and item["prefix"] == created["prefix"] and item["last_used_at"] is None
    assert item["created_by"] == client.get(f"{API}/auth/me", headers=alice).get_json()["id"]


def test_a_key_acts_in_its_workspace_with_its_role_and_ignores_the_header(client, alice, bob):
    team = shared_workspace(client, alice)
    job = create_job(client, acting_in(alice, team))
    own = create_job(client, alice, name="personal")
    viewer = bearer(make_key(client, alice, team, role="viewer")["key"])
    assert [j["id"] for j in client.get(f"{API}/jobs", headers=viewer).get_json()["items"]] == [job["id"]]
    mine = personal(client, alice)["id"]
    assert client.get(f"{API}/jobs/{own['id']}", headers=acting_in(viewer, mine)).status_code == 404
    response = client.post(f"{API}/jobs/{job['id']}/pause", headers=viewer)
    assert (
        response.status_code == 403
        and response.get_json()["message"] == "This needs the editor role (you are viewer)."
    )
    editor = bearer(make_key(client, alice, team, role="editor")["key"])
    assert client.post(f"{API}/jobs/{job['id']}/pause", headers=editor).status_code == 200
    assert client.post(f"{API}/jobs", json=SEED, headers=editor).status_code == 201
    # Keys do not manage keys or members below admin, and never act as a signed-in user.
    assert (
        client.post(
            f"{API}/workspaces/{team}/api-keys", json={"name": "x", "role": "viewer"}, headers=editor
        ).status_code
        == 403
    )
    assert client.get(f"{API}/workspaces", headers=editor).status_code == 403
    # Another workspace's path: 404.
    assert client.get(f"{API}/workspaces/{mine}/members", headers=editor).status_code == 404
    last_used = client.get(f"{API}/workspaces/{team}/api-keys", headers=alice).get_json()["items"]
    assert all(item["last_used_at"] for item in last_used)


def test_an_admin_key_may_make_keys_up_to_its_own_role(client, alice):
    team = shared_workspace(client, alice)
    admin = bearer(make_key(client, alice, team, role="admin")["key"])
    assert (
        client.post(
            f"{API}/workspaces/{team}/api-keys", json={"name": "ci", "role": "editor"}, headers=admin
        ).status_code
        == 201
    )
    response = client.post(
        f"{API}/workspaces/{team}/api-keys", json={"name": "ci", "role": "owner"}, headers=admin
    )
    assert response.status_code == 403 and "at most your own role (admin)" in response.get_json()["message"]


def test_key_role_is_at_most_the_creators(client, alice, bob):
    team = shared_workspace(client, alice)
    add_member(team, "bob@example.com", "admin")
    response = client.post(
        f"{API}/workspaces/{team}/api-keys", json={"name": "x", "role": "owner"}, headers=bob
    )
    assert response.status_code == 403
    assert (
        client.post(
            f"{API}/workspaces/{team}/api-keys", json={"name": "x", "role": "admin"}, headers=bob
        ).status_code
        == 201
    )


def test_revoked_expired_and_unknown_keys_are_refused(client, alice):
    workspace = personal(client, alice)["id"]
    key = make_key(client, alice, workspace)
    assert client.get(f"{API}/jobs", headers=bearer(key["key"])).status_code == 200
    assert (
        client.delete(f"{API}/workspaces/{workspace}/api-keys/{key['id']}", headers=alice).status_code == 204
    )
    response = client.get(f"{API}/jobs", headers=bearer(key["key"]))
    assert response.status_code == 401 and response.get_json()["message"].startswith("Invalid API key")
    assert (
        client.delete(f"{API}/workspaces/{workspace}/api-keys/{key['id']}", headers=alice).status_code == 404
    )
    assert client.get(f"{API}/workspaces/{workspace}/api-keys", headers=alice).get_json()["total"] == 0
    assert client.get(f"{API}/jobs", headers=bearer("chr_" + "x" * 43)).status_code == 401

    soon = make_key(client, alice, workspace, expires_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat())
    assert client.get(f"{API}/jobs", headers=bearer(soon["key"])).status_code == 200
    stored = db.session.get(ApiKey, soon["id"])
    stored.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    assert client.get(f"{API}/jobs", headers=bearer(soon["key"])).status_code == 401
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    response = client.post(
        f"{API}/workspaces/{workspace}/api-keys",
        json={"name": "x", "role": "viewer", "expires_at": past},
        headers=alice,
    )
    assert response.status_code == 409
    naive = client.post(
        f"{API}/workspaces/{workspace}/api-keys",
        json={"name": "x", "role": "viewer", "expires_at": "2030-01-01T00:00:00"},
        headers=alice,
    )
    assert naive.status_code == 422 and "expires_at" in naive.get_json()["errors"]


def test_a_key_never_acts_above_its_creators_role_today_and_dies_when_they_leave(client, alice, bob):
    team = shared_workspace(client, alice)
    add_member(team, "bob@example.com", "admin")
    job = create_job(client, acting_in(alice, team))
    key = bearer(make_key(client, bob, team, role="editor")["key"])
    assert client.post(f"{API}/jobs/{job['id']}/pause", headers=key).status_code == 200
    bob_id = client.get(f"{API}/auth/me", headers=bob).get_json()["id"]
    # Bob is demoted to viewer: his editor key now acts as a viewer, at once.
    assert (
        client.patch(
            f"{API}/workspaces/{team}/members/{bob_id}", json={"role": "viewer"}, headers=alice
        ).status_code
        == 200
    )
    refused = client.post(f"{API}/jobs/{job['id']}/resume", headers=key)
    assert refused.status_code == 403
    assert refused.get_json()["message"] == "This needs the editor role (you are viewer)."
    assert client.get(f"{API}/jobs/{job['id']}", headers=key).status_code == 200
    # Promoted back: the key is an editor again (never more than its own role).
    client.patch(f"{API}/workspaces/{team}/members/{bob_id}", json={"role": "owner"}, headers=alice)
    assert client.post(f"{API}/jobs/{job['id']}/resume", headers=key).status_code == 200
    assert client.get(f"{API}/workspaces/{team}/api-keys", headers=key).status_code == 403
    # Bob leaves the workspace: his key is refused, as a revoked one is.
    assert client.delete(f"{API}/workspaces/{team}/members/{bob_id}", headers=alice).status_code == 204
    gone = client.get(f"{API}/jobs", headers=key)
    assert gone.status_code == 401 and "no longer in its workspace" in gone.get_json()["message"]
