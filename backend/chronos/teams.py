"""Teams: workspaces, their members and roles, invitations and API keys — the rules, in one place.

Routes parse, call one of these and serialize. Every change here adds its audit event to the same
transaction (`audit.record`) and nothing here commits: the caller commits once. A rule that refuses
raises a `TeamError` carrying the status the API answers with.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from sqlalchemy import func, select

from . import audit
from .access import KEY_PREFIX, Principal, rank
from .extensions import db
from .models import MAX_ID, ApiKey, Invitation, Membership, User, Workspace, digest, utcnow
from .notify.channels import DeliveryError, send_email

log = logging.getLogger(__name__)

INVITATION_LIFETIME = timedelta(days=7)
# Characters of a key shown in lists (its "chr_" and 8 more): enough to tell keys apart, never to use one.
PREFIX_LENGTH = 12


class TeamError(Exception):
    """A team rule refused the change; `status` is the HTTP status to answer with."""

    status = 409


class Forbidden(TeamError):
    status = 403


class Gone(TeamError):
    status = 410


class NotFound(TeamError):
    status = 404


# --- workspaces --------------------------------------------------------------------------------


@dataclass
class WorkspaceView:
    """A workspace as one member sees it."""

    id: int
    name: str
    role: str
    personal: bool
    created_at: datetime
    # Its own retention (retention.py); None: the instance's.
    retention_days: int | None = None
    retention_failed_days: int | None = None

    @classmethod
    def of(cls, workspace: Workspace, role: str, personal: bool) -> WorkspaceView:
        return cls(
            workspace.id,
            workspace.name,
            role,
            personal,
            workspace.created_at,
            workspace.retention_days,
            workspace.retention_failed_days,
        )


# What an owner may change on a workspace (PATCH), each written to the audit log.
WORKSPACE_FIELDS = ("name", "retention_days", "retention_failed_days")


def create_workspace(user_id: int, name: str, actor: audit.Actor) -> WorkspaceView:
    """A new shared workspace, its creator its owner."""
    workspace = Workspace(name=name)
    db.session.add(workspace)
    db.session.flush()
    db.session.add(Membership(workspace_id=workspace.id, user_id=user_id, role="owner"))
    audit.record(workspace.id, actor, "workspace.created", ("workspace", workspace.id), {"name": name})
    return WorkspaceView.of(workspace, "owner", False)


def workspaces_of(user_id: int) -> list[WorkspaceView]:
    """Every workspace the user belongs to: the personal one first, then by name."""
    rows = db.session.execute(
        select(Workspace, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == user_id)
    ).all()
    views = [WorkspaceView.of(w, role, w.personal_for == user_id) for w, role in rows]
    return sorted(views, key=lambda v: (not v.personal, v.name.lower(), v.id))


def view(principal: Principal) -> WorkspaceView:
    """The principal's workspace as they see it."""
    workspace = db.session.get(Workspace, principal.workspace_id)
    assert workspace is not None
    personal = principal.kind == "user" and workspace.personal_for == principal.id
    return WorkspaceView.of(workspace, principal.role, personal)


def update_workspace(principal: Principal, values: dict[str, Any]) -> WorkspaceView:
    """Change the workspace's name or retention (owners); one audit event names what changed."""
    workspace = db.session.get(Workspace, principal.workspace_id)
    assert workspace is not None
    changes = {
        name: [getattr(workspace, name), values[name]]
        for name in WORKSPACE_FIELDS
        if name in values and getattr(workspace, name) != values[name]
    }
    if changes:
        audit.record(workspace.id, principal.actor, "workspace.updated", ("workspace", workspace.id), changes)
        for name, (_, after) in changes.items():
            setattr(workspace, name, after)
    return view(principal)


def delete_workspace(principal: Principal) -> None:
    """Delete a shared workspace with everything it owns (owners); a personal one stays."""
    workspace = db.session.get(Workspace, principal.workspace_id)
    assert workspace is not None
    if workspace.personal_for is not None:
        raise TeamError("A personal workspace cannot be deleted.")
    # Its jobs, executions, keys, invitations and audit log go with it (ON DELETE CASCADE).
    db.session.delete(workspace)


# --- members -----------------------------------------------------------------------------------


def members(workspace_id: int) -> list[dict[str, Any]]:
    """The workspace's members: {user_id, email, role, joined_at}, owners first."""
    rows = db.session.execute(
        select(Membership.user_id, User.email, Membership.role, Membership.created_at)
        .join(User, User.id == Membership.user_id)
        .where(Membership.workspace_id == workspace_id)
        .order_by(Membership.created_at, Membership.id)
    ).all()
    items = [{"user_id": u, "email": e, "role": r, "joined_at": j} for u, e, r, j in rows]
    return sorted(items, key=lambda item: -rank(item["role"]))


def _membership(workspace_id: int, user_id: int) -> Membership:
    membership = Membership.of(workspace_id, user_id)
    if membership is None:
        raise NotFound(f"User {user_id} is not a member of this workspace.")
    return membership


def _owners(workspace_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count()).where(Membership.workspace_id == workspace_id, Membership.role == "owner")
        )
        or 0
    )


def change_role(principal: Principal, user_id: int, role: str) -> dict[str, Any]:
    """Give a member another role (admins; only owners make or unmake owners; never the last owner)."""
    membership = _membership(principal.workspace_id, user_id)
    if "owner" in (role, membership.role) and not principal.at_least("owner"):
        raise Forbidden(f"This needs the owner role (you are {principal.role}).")
    if membership.role == "owner" and role != "owner" and _owners(principal.workspace_id) <= 1:
        raise TeamError("The last owner cannot be demoted: make another member an owner first.")
    if membership.role != role:
        audit.record(
            principal.workspace_id,
            principal.actor,
            "member.role_changed",
            ("user", user_id),
            {"role": [membership.role, role]},
        )
        membership.role = role
    return _member(membership)


def _member(membership: Membership) -> dict[str, Any]:
    email = db.session.scalar(select(User.email).where(User.id == membership.user_id))
    return {
        "user_id": membership.user_id,
        "email": email,
        "role": membership.role,
        "joined_at": membership.created_at,
    }


def remove_member(principal: Principal, user_id: int) -> None:
    """Remove a member (admins; owners only by owners), or leave (anyone); never the last owner."""
    membership = _membership(principal.workspace_id, user_id)
    leaving = principal.kind == "user" and principal.id == user_id
    if not leaving and not principal.at_least("admin"):
        raise Forbidden(f"This needs the admin role (you are {principal.role}).")
    if not leaving and membership.role == "owner" and not principal.at_least("owner"):
        raise Forbidden(f"This needs the owner role (you are {principal.role}).")
    if membership.role == "owner" and _owners(principal.workspace_id) <= 1:
        raise TeamError("The last owner cannot leave: make another member an owner first.")
    audit.record(
        principal.workspace_id,
        principal.actor,
        "member.removed",
        ("user", user_id),
        {"role": [membership.role, None]},
    )
    db.session.delete(membership)


# --- invitations -------------------------------------------------------------------------------


def _at_most_own_role(principal: Principal, role: str, what: str) -> None:
    if rank(role) > rank(principal.role):
        raise Forbidden(f"{what} can be given at most your own role ({principal.role}).")


def invite(principal: Principal, email: str, role: str) -> tuple[Invitation, str]:
    """Invite an address with a role (at most the inviter's): the invitation and its token (shown once)."""
    _at_most_own_role(principal, role, "An invitation's role")
    already = db.session.scalar(
        select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.workspace_id == principal.workspace_id, User.email == email)
    )
    if already is not None:
        raise TeamError(f"{email} is already a member of this workspace.")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    invitation = Invitation(
        workspace_id=principal.workspace_id,
        email=email,
        role=role,
        token_hash=digest(token),
        invited_by=principal.user_id,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        principal.workspace_id,
        principal.actor,
        "member.invited",
        ("invitation", invitation.id),
        {"email": email, "role": role},
    )
    return invitation, token


def accept_url(token: str, config: Any) -> str:
    """The web app's page where the invitee accepts."""
    return f"{str(config['PUBLIC_BASE_URL']).rstrip('/')}/invitations/{token}"


def pending_invitations(workspace_id: int) -> Any:
    """The workspace's invitations not yet accepted, revoked or expired (a query, newest first)."""
    return (
        select(Invitation)
        .where(
            Invitation.workspace_id == workspace_id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.id.desc())
    )


def revoke_invitation(principal: Principal, invitation_id: int) -> None:
    """Withdraw a pending invitation: its link no longer works."""
    invitation = db.session.get(Invitation, invitation_id) if 0 < invitation_id <= MAX_ID else None
    if invitation is None or invitation.workspace_id != principal.workspace_id:
        raise NotFound(f"Invitation {invitation_id} not found.")
    if invitation.accepted_at is not None:
        raise TeamError("This invitation was already accepted.")
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        audit.record(
            principal.workspace_id,
            principal.actor,
            "invitation.revoked",
            ("invitation", invitation.id),
            {"email": invitation.email, "role": invitation.role},
        )


def usable_invitation(token: str) -> Invitation:
    """The invitation of a token that can still be accepted; NotFound / Gone (revoked, used, expired)."""
    invitation = Invitation.by_token(token) if len(token) <= 200 else None
    if invitation is None:
        raise NotFound("No invitation has this link.")
    if invitation.revoked_at is not None:
        raise Gone("This invitation was withdrawn; ask for a new one.")
    if invitation.accepted_at is not None:
        raise Gone("This invitation was already used.")
    if invitation.expires_at <= utcnow():
        raise Gone("This invitation has expired; ask for a new one.")
    return invitation


def invitation_details(token: str) -> dict[str, Any]:
    """What the accept page shows: workspace name, e-mail, role, expiry (no secrets)."""
    invitation = usable_invitation(token)
    workspace = db.session.get(Workspace, invitation.workspace_id)
    assert workspace is not None
    return {
        "workspace_id": workspace.id,
        "workspace_name": workspace.name,
        "email": invitation.email,
        "role": invitation.role,
        "expires_at": invitation.expires_at,
    }


def accept(token: str, user_id: int) -> WorkspaceView:
    """The signed-in invitee joins with the invited role (their e-mail must be the invited one)."""
    invitation = usable_invitation(token)
    user = db.session.get(User, user_id)
    if user is None or user.email != invitation.email:
        raise Forbidden("This invitation is for another e-mail address.")
    if Membership.of(invitation.workspace_id, user_id) is not None:
        raise TeamError("You are already a member of this workspace.")
    now = utcnow()
    invitation.accepted_at = now
    invitation.accepted_by = user_id
    db.session.add(Membership(workspace_id=invitation.workspace_id, user_id=user_id, role=invitation.role))
    audit.record(
        invitation.workspace_id,
        audit.Actor("user", user_id, user.email),
        "member.joined",
        ("user", user_id),
        {"role": [None, invitation.role]},
    )
    workspace = db.session.get(Workspace, invitation.workspace_id)
    assert workspace is not None
    return WorkspaceView.of(workspace, invitation.role, False)


def email_invitation(invitation: Invitation, token: str, config: Any) -> bool:
    """Send the invitation by e-mail when SMTP is configured; whether it went (a failure is logged:
    the admin still has the link to pass on)."""
    if not (config.get("SMTP_HOST") or config.get("MAIL_CONSOLE")):
        return False
    workspace = db.session.get(Workspace, invitation.workspace_id)
    name = workspace.name if workspace else "a workspace"
    sender = config["SMTP_FROM"]
    message = EmailMessage()
    message["Subject"] = " ".join(f"You are invited to {name} on Chronos".split())
    message["From"] = sender
    message["To"] = invitation.email
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "chronos.local")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        f"You are invited to join the workspace {name!r} on Chronos as {invitation.role}.\n\n"
        f"Accept it here (sign in or register with this address first):\n{accept_url(token, config)}\n\n"
        f"The link works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC.\n"
    )
    try:
        send_email(message, config)
    except DeliveryError:
        log.warning("Could not e-mail invitation %s.", invitation.id, exc_info=True)
        return False
    return True


# --- API keys ----------------------------------------------------------------------------------


def create_key(principal: Principal, name: str, role: str, expires_at: datetime | None) -> tuple[ApiKey, str]:
    """A new key for the workspace (role at most the creator's): the row and the key (shown once)."""
    _at_most_own_role(principal, role, "An API key's role")
    if expires_at is not None and expires_at <= utcnow():
        raise TeamError("expires_at must be in the future.")
    value = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        workspace_id=principal.workspace_id,
        name=name,
        role=role,
        prefix=value[:PREFIX_LENGTH],
        key_hash=digest(value),
        created_by=principal.user_id,
        created_at=utcnow(),
        expires_at=expires_at,
    )
    db.session.add(key)
    db.session.flush()
    audit.record(
        principal.workspace_id,
        principal.actor,
        "api_key.created",
        ("api_key", key.id),
        {"name": name, "role": role, "prefix": key.prefix},
    )
    return key, value


def keys_of(workspace_id: int) -> Any:
    """The workspace's keys not revoked (a query, newest first)."""
    return (
        select(ApiKey)
        .where(ApiKey.workspace_id == workspace_id, ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.id.desc())
    )


def revoke_key(principal: Principal, key_id: int) -> None:
    """Revoke a key: refused from the next request on, by every process (each request reads the row)."""
    key = db.session.get(ApiKey, key_id) if 0 < key_id <= MAX_ID else None
    if key is None or key.workspace_id != principal.workspace_id or key.revoked_at is not None:
        raise NotFound(f"API key {key_id} not found.")
    key.revoked_at = utcnow()
    audit.record(
        principal.workspace_id,
        principal.actor,
        "api_key.revoked",
        ("api_key", key.id),
        {"name": key.name, "prefix": key.prefix},
    )
