"""Every route of the app × every role: the permission table covers each route (read from the url_map,
so a new route without an entry fails here), each role below a route's least role gets a 403 naming
it, the least role gets in, and a stranger gets a 404 (never data) on every route of the workspace."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from chronos.access import PERMISSIONS, PUBLIC, SIGNED_IN, rank
from chronos.models import ROLES
from tests.api.support import SEED, add_execution, create_job
from tests.api.teams import API, acting_in, add_member, bearer, make_key, shared_workspace

EMAILS = {role: f"{role}@example.com" for role in ROLES if role != "owner"}
BODIES: dict[str, Any] = {
    "jobs.create_job": SEED,
    "jobs.update_job": {"description": "edited"},
    "workspaces.update_workspace": {"name": "Renamed"},
    "workspaces.update_member": {"role": "viewer"},
    "workspaces.create_invitation": {"email": "new@example.com", "role": "viewer"},
    "keys.create_key": {"name": "k", "role": "viewer"},
    "test_runs.create_test_run": {"handler": "log"},
    "workspaces.create_workspace": {"name": "Mine"},
    "jobs.create_jobs_batch": {"jobs": [SEED]},
    "backfills.backfill": {
        "from": (datetime.now(UTC) - timedelta(days=15)).isoformat(),
        "to": datetime.now(UTC).isoformat(),
        "dry_run": True,
    },
    "concurrency-limits.put_limit": {"max_running": 2},
    "calendars.create_calendar": {"name": "Holidays", "country": "DE"},
    "calendars.update_calendar": {"name": "Renamed"},
}
# Routes that read their input from the query string.
QUERIES: dict[str, str] = {"calendars.view_calendar": "?from=2030-01-01&to=2030-01-31"}
# Concurrency limits are named, not numbered: a PUT in one's own workspace makes one's own limit.
LIMIT_KEY = "team-key"
SECRET_NAME = "Team secret job"


def _rules(app) -> list[tuple[str, str, str]]:
    return sorted(
        (rule.endpoint, rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def test_every_route_has_an_entry_in_the_permission_table(any_app):
    missing = sorted({endpoint for endpoint, _, _ in _rules(any_app)} - set(PERMISSIONS))
    assert missing == [], f"routes without a permission entry: {missing}"
    stale = sorted(set(PERMISSIONS) - {endpoint for endpoint, _, _ in _rules(any_app)})
    assert stale == [], f"permission entries without a route: {stale}"


class World:
    """A shared workspace with one member per role, a target member, and one of everything."""

    def __init__(self, client, auth) -> None:
        self.client = client
        self.owner = auth.headers("owner@example.com")
        self.members = {role: auth.headers(email) for role, email in EMAILS.items()}
        self.members["owner"] = self.owner
        auth.headers("target@example.com")
        self.stranger = auth.headers("stranger@example.com")
        self.workspace = shared_workspace(client, self.owner, "Team")
        for role, email in EMAILS.items():
            add_member(self.workspace, email, role)
        add_member(self.workspace, "target@example.com", "viewer")
        as_owner = acting_in(self.owner, self.workspace)
        self.job = create_job(client, as_owner, name=SECRET_NAME)
        self.execution = add_execution(self.job["id"]).id
        self.test_run = client.post(f"{API}/test-runs", json={"handler": "log"}, headers=as_owner).get_json()[
            "id"
        ]
        self.key = make_key(client, self.owner, self.workspace, role="viewer")
        self.backfill = client.post(
            f"{API}/jobs/{self.job['id']}/backfill",
            json={**BODIES["backfills.backfill"], "dry_run": False},
            headers=as_owner,
        ).get_json()["id"]
        limit = client.put(f"{API}/concurrency-limits/{LIMIT_KEY}", json={"max_running": 3}, headers=as_owner)
        assert limit.status_code == 200, limit.get_json()
        self.calendar = client.post(
            f"{API}/calendars", json={"name": "Team holidays", "dates": ["2030-01-02"]}, headers=as_owner
        ).get_json()["id"]
        invitation = client.post(
            f"{API}/workspaces/{self.workspace}/invitations",
            json={"email": "someone@example.com", "role": "viewer"},
            headers=self.owner,
        ).get_json()
        self.invitation, self.token = invitation["id"], invitation["token"]
        members = client.get(f"{API}/workspaces/{self.workspace}/members", headers=self.owner).get_json()[
            "items"
        ]
        self.user_ids = {m["email"]: m["user_id"] for m in members}

    def url(self, endpoint: str, rule: str, acting_email: str | None, **overrides: int) -> str:
        values: dict[str, Any] = {
            "job_id": self.job["id"],
            "execution_id": self.execution,
            "test_run_id": self.test_run,
            "workspace_id": self.workspace,
            "key_id": self.key["id"],
            "invitation_id": self.invitation,
            "token": self.token,
            "version": 1,
            "backfill_id": self.backfill,
            "key": LIMIT_KEY,
            "calendar_id": self.calendar,
            # Leaving is the viewer's way in; changing a role is tried on another member.
            "user_id": self.user_ids.get(acting_email or "", 0)
            if endpoint == "workspaces.remove_member"
            else self.user_ids["target@example.com"],
        }
        values.update(overrides)
        path = re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule)
        return path + QUERIES.get(endpoint, "")

    def call(self, method: str, url: str, endpoint: str, headers: dict[str, str]):
        return self.client.open(url, method=method, json=BODIES.get(endpoint), headers=headers)


def _role_routes(app) -> list[tuple[str, str, str]]:
    return [(e, r, m) for e, r, m in _rules(app) if PERMISSIONS.get(e) not in (PUBLIC, SIGNED_IN, None)]


def test_each_role_below_a_routes_least_role_is_refused_and_the_least_role_gets_in(any_app, client, auth):
    shared = World(client, auth)
    destructive = (
        "delete_job",
        "delete_workspace",
        "remove_member",
        "revoke_key",
        "revoke_invitation",
        "cancel_backfill",
        "delete_limit",
        "delete_calendar",
    )
    for endpoint, rule, method in _role_routes(any_app):
        need = PERMISSIONS[endpoint]
        # Routes that take away what the others use get a world of their own.
        world = World(client, auth) if endpoint.endswith(destructive) else shared
        for role in ROLES:
            email = EMAILS.get(role, "owner@example.com")
            headers = acting_in(world.members[role], world.workspace)
            response = world.call(method, world.url(endpoint, rule, email), endpoint, headers)
            where = f"{method} {rule} as {role}"
            if rank(role) < rank(need):
                assert response.status_code == 403, (where, response.get_json())
                assert response.get_json()["message"] == f"This needs the {need} role (you are {role}).", (
                    where
                )
            elif role == need:
                assert response.status_code < 400 or response.status_code in (409, 410), (
                    where,
                    response.get_json(),
                )
                break


def test_a_stranger_gets_404_and_never_data_on_every_route_of_the_workspace(any_app, client, auth):
    world = World(client, auth)
    for endpoint, rule, method in _role_routes(any_app):
        url = world.url(endpoint, rule, "stranger@example.com")
        for headers in (world.stranger, acting_in(world.stranger, world.workspace)):
            response = world.call(method, url, endpoint, headers)
            body = response.get_data(as_text=True)
            assert SECRET_NAME not in body, (method, url)
            # In their own workspace a limit's name is theirs to use (it names no object of this one).
            own_limit = endpoint.startswith("concurrency-limits.") and headers is world.stranger
            if "<" in rule and not own_limit:
                assert response.status_code == 404, (method, url, response.get_json())
    # The stranger's PUT made a limit of their own; the workspace's is untouched.
    as_owner = acting_in(world.owner, world.workspace)
    mine = client.get(f"{API}/concurrency-limits/{LIMIT_KEY}", headers=as_owner).get_json()
    assert mine["max_running"] == 3
    # A key of another workspace is a stranger too.
    own = client.get(f"{API}/workspaces", headers=world.stranger).get_json()["items"][0]["id"]
    stranger_key = bearer(make_key(client, world.stranger, own, role="admin")["key"])
    for endpoint, rule, method in _role_routes(any_app):
        url = world.url(endpoint, rule, None)
        response = world.call(method, url, endpoint, stranger_key)
        assert SECRET_NAME not in response.get_data(as_text=True), (method, url)
        if "<" in rule and not endpoint.startswith("concurrency-limits."):
            assert response.status_code == 404, (method, url, response.get_json())


def test_signed_in_routes_refuse_api_keys_and_anonymous_callers(any_app, client, auth):
    world = World(client, auth)
    key = bearer(world.key["key"])
    for endpoint, rule, method in _rules(any_app):
        if PERMISSIONS[endpoint] != SIGNED_IN or endpoint.startswith("auth."):
            continue
        url = world.url(endpoint, rule, None)
        assert world.call(method, url, endpoint, key).status_code in (401, 403), url
        assert world.call(method, url, endpoint, {}).status_code == 401, url


def test_ids_too_large_for_the_database_are_404_on_every_route(any_app, client, auth):
    world = World(client, auth)
    for endpoint, rule, method in _role_routes(any_app):
        for name in re.findall(r"<int:([a-z_]+)>", rule):
            for huge in (2**31, 2**63, 2**80):
                url = world.url(endpoint, rule, "owner@example.com", **{name: huge})
                response = world.call(method, url, endpoint, acting_in(world.owner, world.workspace))
                assert response.status_code == 404, (method, url, response.get_json())


def test_api_keys_of_each_role_are_held_to_the_same_table(any_app, client, auth):
    world = World(client, auth)
    keys = {role: bearer(make_key(client, world.owner, world.workspace, role=role)["key"]) for role in ROLES}
    for endpoint, rule, method in _role_routes(any_app):
        if method not in ("GET",):
            continue  # reads only: the writes are walked for users above, by the same check
        need = PERMISSIONS[endpoint]
        for role in ROLES:
            response = world.call(method, world.url(endpoint, rule, None), endpoint, keys[role])
            if rank(role) < rank(need):
                assert response.status_code == 403, (endpoint, role, response.get_json())
            else:
                assert response.status_code == 200, (endpoint, role, response.get_json())
