"""Who may do what: roles, the one permission table, and who a request acts as, in which workspace.

Every route of the app has one entry in `PERMISSIONS` (its Flask endpoint → the least role that may
call it, or `PUBLIC` / `SIGNED_IN` for routes outside any workspace); `api.auth.protected` looks the
route up and calls `require`, so a route without an entry cannot be served (and the route × role
test, which walks the app's url_map, fails).

A request acts as a `Principal`:

* `Authorization: Bearer chr_...` is an API key: it acts in its own workspace with its own role
  (X-Chronos-Workspace is ignored), but never above its creator's role there today: a key made by an
  admin who is now a viewer acts as a viewer, and a key whose creator left the workspace (or was
  deleted) is refused. It is looked up by its digest, with its creator's membership, on every
  request, so a revoked or expired key, or a demotion, holds in every web process at once.
* any other bearer token is a user's JWT: the user acts in the workspace named by the header
  `X-Chronos-Workspace: <id>`, or in their personal workspace without it.

A workspace the caller is not a member of (or that does not exist, or a malformed id) is a 404, as if
it were not there; a role too low is a 403 naming the role needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from flask import g, request
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_smorest import abort
from jwt import PyJWTError
from sqlalchemy import select, update
from werkzeug.exceptions import HTTPException

from .audit import Actor
from .extensions import db
from .models import MAX_ID, ROLES, ApiKey, Membership, User, Workspace, digest, utcnow

# Routes outside any workspace: open to anyone, or to any signed-in user (never to an API key).
PUBLIC = "public"
SIGNED_IN = "signed_in"
KEY_PREFIX = "chr_"
WORKSPACE_HEADER = "X-Chronos-Workspace"
# last_used_at is written at most this often per key: a key used in a loop costs no write per call.
LAST_USED_EVERY = timedelta(minutes=1)

PERMISSIONS: dict[str, str] = {
    # the app shell, documents, probes
    "static": PUBLIC,
    "spa": PUBLIC,
    "metrics": PUBLIC,
    "api-docs.openapi_json": PUBLIC,
    "api-docs.openapi_swagger_ui": PUBLIC,
    "health.health": PUBLIC,
    "health.live": PUBLIC,
    "health.ready": PUBLIC,
    "cron.preview": PUBLIC,
    # accounts
    "auth.register": PUBLIC,
    "auth.login": PUBLIC,
    "auth.refresh": SIGNED_IN,
    "auth.logout": SIGNED_IN,
    "auth.me": SIGNED_IN,
    # jobs and what they did
    "jobs.list_jobs": "viewer",
    "jobs.get_job": "viewer",
    "jobs.list_job_executions": "viewer",
    "jobs.create_job": "editor",
    "jobs.update_job": "editor",
    "jobs.delete_job": "editor",
    "jobs.pause_job": "editor",
    "jobs.resume_job": "editor",
    "jobs.execute_job": "editor",
    "jobs.rotate_secret": "editor",
    "versions.list_versions": "viewer",
    "versions.get_version": "viewer",
    "versions.restore_version": "editor",
    "executions.list_executions": "viewer",
    "executions.get_execution": "viewer",
    "executions.list_logs": "viewer",
    "notifications.execution_notifications": "viewer",
    "notifications.job_notifications": "viewer",
    "dashboard.stats": "viewer",
    "system.status": "viewer",
    "test_runs.create_test_run": "editor",
    "test_runs.get_test_run": "viewer",
    # many jobs at once; workflows; backfills; concurrency limits
    "jobs.create_jobs_batch": "editor",
    "jobs.job_graph": "viewer",
    "executions.rerun_execution": "editor",
    "backfills.backfill": "editor",
    "backfills.list_backfills": "viewer",
    "backfills.cancel_backfill": "editor",
    "concurrency-limits.list_limits": "viewer",
    "concurrency-limits.get_limit": "viewer",
    "concurrency-limits.put_limit": "editor",
    "concurrency-limits.delete_limit": "editor",
    # holiday calendars and the calendar view
    "calendars.list_countries": PUBLIC,
    "calendars.list_calendars": "viewer",
    "calendars.get_calendar": "viewer",
    "calendars.create_calendar": "editor",
    "calendars.update_calendar": "editor",
    "calendars.delete_calendar": "editor",
    "calendars.view_calendar": "viewer",
    # the workspace itself
    "workspaces.list_workspaces": SIGNED_IN,
    "workspaces.create_workspace": SIGNED_IN,
    "workspaces.get_workspace": "viewer",
    "workspaces.update_workspace": "owner",
    "workspaces.delete_workspace": "owner",
    "workspaces.list_members": "viewer",
    "workspaces.update_member": "admin",
    # Leaving needs no role; removing someone else needs admin (teams.remove_member says which).
    "workspaces.remove_member": "viewer",
    "workspaces.create_invitation": "admin",
    "workspaces.list_invitations": "admin",
    "workspaces.revoke_invitation": "admin",
    "invitations.get_invitation": SIGNED_IN,
    "invitations.accept_invitation": SIGNED_IN,
    "keys.create_key": "admin",
    "keys.list_keys": "admin",
    "keys.revoke_key": "admin",
    "audit.list_events": "admin",
}


def rank(role: str) -> int:
    """A role's place in ROLES (viewer 0 … owner 3)."""
    return ROLES.index(role)


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: a user or an API key, in one workspace, with one role."""

    kind: str  # "user" | "api_key"
    id: int  # the user's id, or the key's
    user_id: int | None  # the user, or the user who created the key (the "created by" of a job)
    workspace_id: int
    role: str
    label: str

    def at_least(self, role: str) -> bool:
        """Whether this principal's role is `role` or above."""
        return rank(self.role) >= rank(role)

    @property
    def actor(self) -> Actor:
        """How the audit log names this principal."""
        return Actor(self.kind, self.id, self.label)


def _not_found() -> Any:
    abort(404, message="Workspace not found.")


def presented_key() -> str | None:
    """The API key of the request's Authorization header, if it carries one."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value.startswith(KEY_PREFIX):
        return value
    return None


def _key(value: str) -> tuple[ApiKey, str]:
    """The live key for this value and the role it acts with (its own, capped at its creator's role in
    the workspace now), or a 401: unknown, revoked, expired, or its creator is no longer a member."""
    row = db.session.execute(
        select(ApiKey, Membership.role)
        .outerjoin(
            Membership,
            (Membership.workspace_id == ApiKey.workspace_id) & (Membership.user_id == ApiKey.created_by),
        )
        .where(ApiKey.key_hash == digest(value))
    ).first()
    now = utcnow()
    key = row[0] if row is not None else None
    if key is None or key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        abort(401, message="Invalid API key: it is unknown, revoked or expired.")
    key = cast(ApiKey, key)
    creator_role: str | None = row[1] if row is not None else None
    if creator_role is None:
        abort(401, message="Invalid API key: the member who created it is no longer in its workspace.")
    creator_role = cast(str, creator_role)
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_EVERY:
        # Conditional, so of several processes using the key at once only one writes per minute.
        db.session.execute(
            update(ApiKey)
            .where(ApiKey.id == key.id)
            .where((ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < now - LAST_USED_EVERY))
            .values(last_used_at=now)
        )
        db.session.commit()
        key.last_used_at = now
    return key, min(key.role, creator_role, key=rank)


def signed_in_user() -> int:
    """The signed-in user's id (a valid access token; 401 otherwise). An API key is refused: 403."""
    if presented_key() is not None:
        abort(403, message="An API key acts only inside its workspace; this needs a signed-in user.")
    verify_jwt_in_request()
    return int(get_jwt_identity())


def _header_workspace() -> int | None:
    raw = request.headers.get(WORKSPACE_HEADER)
    if raw is None:
        return None
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        _not_found()
    return int(raw)


def current_principal(workspace_id: int | None = None) -> Principal:
    """Who the request acts as, and where: `workspace_id` (a route's path) or the request's own.

    401 without valid credentials; 404 for a workspace the caller is not a member of.
    """
    value = presented_key()
    if value is not None:
        key, role = _key(value)
        if workspace_id is not None and workspace_id != key.workspace_id:
            _not_found()
        label = f"{key.name} ({key.prefix}…)"
        return Principal("api_key", key.id, key.created_by, key.workspace_id, role, label)
    user_id = signed_in_user()
    wanted = workspace_id if workspace_id is not None else _header_workspace()
    if wanted is not None:
        if not 0 < wanted <= MAX_ID:
            _not_found()
        statement = select(Membership.workspace_id, Membership.role, User.email).where(
            Membership.workspace_id == wanted, Membership.user_id == user_id
        )
    else:
        statement = (
            select(Membership.workspace_id, Membership.role, User.email)
            .join(Workspace, Workspace.id == Membership.workspace_id)
            .where(Workspace.personal_for == user_id, Membership.user_id == user_id)
        )
    row = db.session.execute(statement.join(User, User.id == Membership.user_id)).first()
    if row is None:
        _not_found()
    assert row is not None
    return Principal("user", user_id, user_id, row.workspace_id, row.role, row.email)


def require(action: str, workspace_id: int | None = None) -> Principal | None:
    """Check the request may do `action` (a PERMISSIONS key); the principal it acts as.

    None for routes outside any workspace (PUBLIC, SIGNED_IN). Raises 401 / 403 / 404.
    """
    need = PERMISSIONS[action]
    if need == PUBLIC:
        return None
    if need == SIGNED_IN:
        g.chronos_user_id = signed_in_user()
        return None
    principal = current_principal(workspace_id)
    if not principal.at_least(need):
        abort(403, message=f"This needs the {need} role (you are {principal.role}).")
    g.chronos_principal = principal
    return principal


def user_actor(user_id: int) -> Actor:
    """How the audit log names a signed-in user acting outside a workspace's routes."""
    email = db.session.scalar(select(User.email).where(User.id == user_id)) or f"user {user_id}"
    return Actor("user", user_id, email)


def principal() -> Principal:
    """The principal `require` admitted for this request."""
    return cast(Principal, g.chronos_principal)


def principal_if_any() -> Principal | None:
    """The request's principal, also on a public route that may use one (the cron preview's
    calendars): None without valid credentials or membership, instead of a 401 / 404."""
    try:
        return current_principal()
    except (HTTPException, JWTExtendedException, PyJWTError):
        return None


def user_id() -> int:
    """The signed-in user `require` admitted for a SIGNED_IN route."""
    return cast(int, g.chronos_user_id)
