"""Workspaces: the personal one, shared ones, which workspace a request acts in, members and roles."""

from __future__ import annotations

from tests.api.support import SEED, create_job
from tests.api.teams import API, acting_in, add_member, personal, shared_workspace


def test_registering_makes_a_personal_workspace_that_holds_the_users_jobs(client, alice):
    body = client.get(f"{API}/workspaces", headers=alice).get_json()
    assert body["total"] == 1
    (mine,) = body["items"]
    assert mine["personal"] is True and mine["role"] == "owner" and mine["name"] == "alice@example.com"
    job = create_job(client, alice)
    # Without the header a user acts in their personal workspace; naming it changes nothing.
    assert client.get(f"{API}/jobs/{job['id']}", headers=acting_in(alice, mine["id"])).status_code == 200
    listed = client.get(f"{API}/jobs", headers=alice).get_json()["items"]
    assert [item["id"] for item in listed] == [job["id"]]


def test_jobs_of_a_shared_workspace_are_seen_by_its_members_and_nobody_else(client, alice, bob, auth):
    carol = auth.headers("carol@example.com")
    team = shared_workspace(client, alice)
    add_member(team, "bob@example.com", "viewer")
    shared = create_job(client, acting_in(alice, team), name="Shared")
    own = create_job(client, alice, name="Alice's own")

    as_bob = acting_in(bob, team)
    assert [j["id"] for j in client.get(f"{API}/jobs", headers=as_bob).get_json()["items"]] == [shared["id"]]
    assert client.get(f"{API}/jobs/{shared['id']}", headers=as_bob).status_code == 200
    # Alice's personal job is not in the team, and bob's own workspace has neither.
    assert client.get(f"{API}/jobs/{own['id']}", headers=as_bob).status_code == 404
    assert client.get(f"{API}/jobs/{shared['id']}", headers=bob).status_code == 404
    assert client.get(f"{API}/jobs", headers=bob).get_json()["total"] == 0
    # A non-member naming the workspace: 404, as if it did not exist.
    response = client.get(f"{API}/jobs", headers=acting_in(carol, team))
    assert response.status_code == 404 and response.get_json()["message"] == "Workspace not found."
    assert client.get(f"{API}/dashboard/stats", headers=acting_in(carol, team)).status_code == 404


def test_a_viewer_reads_but_may_not_change_and_is_told_which_role_is_needed(client, alice, bob):
    team = shared_workspace(client, alice)
    add_member(team, "bob@example.com", "viewer")
    job = create_job(client, acting_in(alice, team))
    as_bob = acting_in(bob, team)
    response = client.post(f"{API}/jobs/{job['id']}/pause", headers=as_bob)
    assert response.status_code == 403
    assert response.get_json()["message"] == "This needs the editor role (you are viewer)."
    assert client.post(f"{API}/jobs", json=SEED, headers=as_bob).status_code == 403
    assert client.get(f"{API}/jobs/{job['id']}/executions", headers=as_bob).status_code == 200


def test_malformed_or_unknown_workspace_headers_are_404(client, alice):
    for value in ("abc", "-1", "0", "99999999999999999999999", "1.5", "９"):
        response = client.get(f"{API}/jobs", headers=acting_in(alice, value))  # type: ignore[arg-type]
        assert response.status_code == 404, value
    assert client.get(f"{API}/jobs", headers=acting_in(alice, 424242)).status_code == 404


def test_workspace_rename_and_delete_are_for_owners(client, alice, bob):
    team = shared_workspace(client, alice, "Ops")
    add_member(team, "bob@example.com", "admin")
    response = client.patch(f"{API}/workspaces/{team}", json={"name": "Bob's"}, headers=bob)
    assert response.status_code == 403 and "owner role" in response.get_json()["message"]
    response = client.patch(f"{API}/workspaces/{team}", json={"name": "  Platform  "}, headers=alice)
    assert response.status_code == 200 and response.get_json()["name"] == "Platform"
    assert client.patch(f"{API}/workspaces/{team}", json={"name": " "}, headers=alice).status_code == 422
    assert client.delete(f"{API}/workspaces/{team}", headers=bob).status_code == 403
    job = create_job(client, acting_in(alice, team))
    assert client.delete(f"{API}/workspaces/{team}", headers=alice).status_code == 204
    assert client.get(f"{API}/workspaces/{team}", headers=alice).status_code == 404
    assert client.get(f"{API}/jobs/{job['id']}", headers=acting_in(alice, team)).status_code == 404
    # The personal workspace stays.
    mine = personal(client, alice)["id"]
    assert client.delete(f"{API}/workspaces/{mine}", headers=alice).status_code == 409


def test_an_owner_sets_the_workspaces_retention_shown_everywhere_and_audited(client, alice):
    team = shared_workspace(client, alice, "Ops")
    fresh = client.get(f"{API}/workspaces/{team}", headers=alice).get_json()
    assert (fresh["retention_days"], fresh["retention_failed_days"]) == (None, None)
    response = client.patch(
        f"{API}/workspaces/{team}", json={"retention_days": 7, "retention_failed_days": 0}, headers=alice
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["retention_days"], body["retention_failed_days"]) == ("Ops", 7, 0)
    assert client.get(f"{API}/workspaces/{team}", headers=alice).get_json()["retention_days"] == 7
    listed = client.get(f"{API}/workspaces", headers=alice).get_json()["items"]
    assert [(w["retention_days"], w["retention_failed_days"]) for w in listed if w["id"] == team] == [(7, 0)]
    # null goes back to the instance's default; the name alone still renames.
    client.patch(f"{API}/workspaces/{team}", json={"retention_days": None, "name": "Ops 2"}, headers=alice)
    again = client.get(f"{API}/workspaces/{team}", headers=alice).get_json()
    assert (again["name"], again["retention_days"], again["retention_failed_days"]) == ("Ops 2", None, 0)
    log = client.get(f"{API}/workspaces/{team}/audit", headers=alice).get_json()["items"]
    updates = [e["changes"] for e in log if e["action"] == "workspace.updated"]
    assert updates == [
        {"name": ["Ops", "Ops 2"], "retention_days": [7, None]},
        {"retention_days": [None, 7], "retention_failed_days": [None, 0]},
    ]


def test_workspace_retention_is_validated_field_by_field(client, alice):
    mine = personal(client, alice)["id"]
    for bad, named in (
        ({"retention_days": -1}, {"retention_days"}),
        ({"retention_days": 3651}, {"retention_days"}),
        ({"retention_days": 10**30}, {"retention_days"}),
        ({"retention_days": "7"}, {"retention_days"}),
        ({"retention_days": 7.5}, {"retention_days"}),
        ({"retention_days": True}, {"retention_days"}),
        ({"retention_days": [7]}, {"retention_days"}),
        ({"retention_failed_days": "\u0000"}, {"retention_failed_days"}),
        ({"retention_failed_days": -5}, {"retention_failed_days"}),
        ({"retention_failed_days": {"days": 1}}, {"retention_failed_days"}),
        ({"retention_days": 1, "retention_failed_days": "x"}, {"retention_failed_days"}),
    ):
        response = client.patch(f"{API}/workspaces/{mine}", json=bad, headers=alice)
        assert response.status_code == 422, bad
        assert set(response.get_json()["errors"]) == named, (bad, response.get_json())
    assert client.get(f"{API}/workspaces/{mine}", headers=alice).get_json()["retention_days"] is None
    for good in (0, 1, 3650):
        response = client.patch(f"{API}/workspaces/{mine}", json={"retention_days": good}, headers=alice)
        assert response.status_code == 200 and response.get_json()["retention_days"] == good


def test_only_owners_set_retention_and_other_workspaces_are_not_found(client, alice, bob, auth):
    carol = auth.headers("carol@example.com")
    team = shared_workspace(client, alice)
    add_member(team, "bob@example.com", "admin")
    add_member(team, "carol@example.com", "viewer")
    for headers, role in ((bob, "admin"), (carol, "viewer")):
        response = client.patch(f"{API}/workspaces/{team}", json={"retention_days": 1}, headers=headers)
        assert response.status_code == 403
        assert response.get_json()["message"] == f"This needs the owner role (you are {role})."
        # ... and they read it.
        assert client.get(f"{API}/workspaces/{team}", headers=headers).get_json()["retention_days"] is None
    bobs_own = personal(client, bob)["id"]
    response = client.patch(f"{API}/workspaces/{bobs_own}", json={"retention_days": 1}, headers=alice)
    assert response.status_code == 404
    assert client.get(f"{API}/workspaces/{bobs_own}", headers=bob).get_json()["retention_days"] is None


def test_members_roles_and_the_last_owner(client, alice, bob, auth):
    carol = auth.headers("carol@example.com")
    team = shared_workspace(client, alice)
    add_member(team, "bob@example.com", "admin")
    add_member(team, "carol@example.com", "viewer")
    members = client.get(f"{API}/workspaces/{team}/members", headers=carol).get_json()
    assert [(m["email"], m["role"]) for m in members["items"]] == [
        ("alice@example.com", "owner"),
        ("bob@example.com", "admin"),
        ("carol@example.com", "viewer"),
    ]
    ids = {m["email"]: m["user_id"] for m in members["items"]}
    # An admin changes roles, but neither makes owners nor touches one.
    response = client.patch(
        f"{API}/workspaces/{team}/members/{ids['carol@example.com']}", json={"role": "editor"}, headers=bob
    )
    assert response.status_code == 200 and response.get_json()["role"] == "editor"
    response = client.patch(
        f"{API}/workspaces/{team}/members/{ids['carol@example.com']}", json={"role": "owner"}, headers=bob
    )
    assert response.status_code == 403
    assert (
        client.delete(f"{API}/workspaces/{team}/members/{ids['alice@example.com']}", headers=bob).status_code
        == 403
    )
    # The viewer cannot remove others, but may leave.
    assert (
        client.delete(f"{API}/workspaces/{team}/members/{ids['bob@example.com']}", headers=carol).status_code
        == 403
    )
    # The last owner can neither be demoted nor leave.
    response = client.patch(
        f"{API}/workspaces/{team}/members/{ids['alice@example.com']}", json={"role": "admin"}, headers=alice
    )
    assert response.status_code == 409 and "last owner" in response.get_json()["message"]
    assert (
        client.delete(
            f"{API}/workspaces/{team}/members/{ids['alice@example.com']}", headers=alice
        ).status_code
        == 409
    )
    assert (
        client.patch(
            f"{API}/workspaces/{team}/members/{ids['bob@example.com']}", json={"role": "owner"}, headers=alice
        ).status_code
        == 200
    )
    assert (
        client.delete(
            f"{API}/workspaces/{team}/members/{ids['alice@example.com']}", headers=alice
        ).status_code
        == 204
    )
    assert client.get(f"{API}/workspaces/{team}", headers=alice).status_code == 404
    assert (
        client.delete(
            f"{API}/workspaces/{team}/members/{ids['carol@example.com']}", headers=carol
        ).status_code
        == 204
    )
    assert (
        client.patch(
            f"{API}/workspaces/{team}/members/424242", json={"role": "viewer"}, headers=bob
        ).status_code
        == 404
    )
    assert (
        client.patch(
            f"{API}/workspaces/{team}/members/{ids['bob@example.com']}", json={"role": "god"}, headers=bob
        ).status_code
        == 422
    )


def test_me_lists_the_users_workspaces(client, alice, bob):
    team = shared_workspace(client, alice, "Ops")
    add_member(team, "bob@example.com", "editor")
    body = client.get(f"{API}/auth/me", headers=bob).get_json()
    assert [(w["name"], w["role"], w["personal"]) for w in body["workspaces"]] == [
        ("bob@example.com", "owner", True),
        ("Ops", "editor", False),
    ]
