"""Workspaces: the caller's workspaces, one workspace, its members and its invitations."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import current_app
from flask_smorest import Blueprint, abort

from .. import access, teams
from ..extensions import db
from ..schemas.common import PageQuerySchema
from ..schemas.teams import (
    InvitationCreatedSchema,
    InvitationCreateSchema,
    InvitationPageSchema,
    MemberPageSchema,
    MemberPatchSchema,
    MemberSchema,
    WorkspaceInputSchema,
    WorkspacePageSchema,
    WorkspacePatchSchema,
    WorkspaceSchema,
)
from .auth import protected
from .pagination import page_of, page_of_list

blp = Blueprint("workspaces", __name__, description="Workspaces, their members and invitations.")


def refused(exc: teams.TeamError) -> NoReturn:
    """Answer a refused team rule with its status and message."""
    abort(exc.status, message=str(exc))
    raise AssertionError  # abort raises


@blp.route("/workspaces", methods=["GET"])
@protected(blp)
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, WorkspacePageSchema)
def list_workspaces(args: dict[str, Any]) -> dict[str, Any]:
    """The caller's workspaces, the personal one first, each with the caller's role."""
    return page_of_list(teams.workspaces_of(access.user_id()), args)


@blp.route("/workspaces", methods=["POST"])
@protected(blp)
@blp.arguments(WorkspaceInputSchema, example={"name": "Platform team"})
@blp.response(201, WorkspaceSchema)
def create_workspace(data: dict[str, Any]) -> teams.WorkspaceView:
    """A new workspace; the caller is its owner."""
    user_id = access.user_id()
    workspace = teams.create_workspace(user_id, data["name"], access.user_actor(user_id))
    db.session.commit()
    return workspace


@blp.route("/workspaces/<int:workspace_id>", methods=["GET"])
@protected(blp)
@blp.response(200, WorkspaceSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_workspace(workspace_id: int) -> teams.WorkspaceView:
    """One of the caller's workspaces."""
    return teams.view(access.principal())


@blp.route("/workspaces/<int:workspace_id>", methods=["PATCH"])
@protected(blp)
@blp.arguments(WorkspacePatchSchema, example={"retention_days": 7, "retention_failed_days": 30})
@blp.response(200, WorkspaceSchema)
@blp.alt_response(404, response="NOT_FOUND")
def update_workspace(data: dict[str, Any], workspace_id: int) -> teams.WorkspaceView:
    """Rename the workspace, or set how long its history is kept (owners): `retention_days` for jobs
    without their own `keep_days`, failures at least `retention_failed_days`; 0 keeps forever, null
    follows the instance's default."""
    workspace = teams.update_workspace(access.principal(), data)
    db.session.commit()
    return workspace


@blp.route("/workspaces/<int:workspace_id>", methods=["DELETE"])
@protected(blp)
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def delete_workspace(workspace_id: int) -> None:
    """Delete a shared workspace and everything in it: jobs, executions, keys, audit log (owners).
    A personal workspace cannot be deleted."""
    try:
        teams.delete_workspace(access.principal())
    except teams.TeamError as exc:
        refused(exc)
    db.session.commit()


@blp.route("/workspaces/<int:workspace_id>/members", methods=["GET"])
@protected(blp)
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, MemberPageSchema)
@blp.alt_response(404, response="NOT_FOUND")
def list_members(args: dict[str, Any], workspace_id: int) -> dict[str, Any]:
    """The members and their roles, owners first."""
    return page_of_list(teams.members(access.principal().workspace_id), args)


@blp.route("/workspaces/<int:workspace_id>/members/<int:user_id>", methods=["PATCH"])
@protected(blp)
@blp.arguments(MemberPatchSchema, example={"role": "editor"})
@blp.response(200, MemberSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def update_member(data: dict[str, Any], workspace_id: int, user_id: int) -> dict[str, Any]:
    """Change a member's role (admins; only owners make or unmake owners; never the last owner)."""
    try:
        member = teams.change_role(access.principal(), user_id, data["role"])
    except teams.TeamError as exc:
        refused(exc)
    db.session.commit()
    return member


@blp.route("/workspaces/<int:workspace_id>/members/<int:user_id>", methods=["DELETE"])
@protected(blp)
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def remove_member(workspace_id: int, user_id: int) -> None:
    """Remove a member (admins), or leave (your own user id). The last owner cannot leave."""
    try:
        teams.remove_member(access.principal(), user_id)
    except teams.TeamError as exc:
        refused(exc)
    db.session.commit()


@blp.route("/workspaces/<int:workspace_id>/invitations", methods=["POST"])
@protected(blp)
@blp.arguments(InvitationCreateSchema, example={"email": "grace@example.com", "role": "viewer"})
@blp.response(201, InvitationCreatedSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def create_invitation(data: dict[str, Any], workspace_id: int) -> dict[str, Any]:
    """Invite an e-mail address with a role (at most yours). The link (`accept_url`, with `token`) is
    shown only now; it is e-mailed when SMTP is configured, and works once, for 7 days."""
    try:
        invitation, token = teams.invite(access.principal(), data["email"], data["role"])
    except teams.TeamError as exc:
        refused(exc)
    db.session.commit()
    emailed = teams.email_invitation(invitation, token, current_app.config)
    return {
        "id": invitation.id,
        "email": invitation.email,
        "role": invitation.role,
        "token": token,
        "accept_url": teams.accept_url(token, current_app.config),
        "expires_at": invitation.expires_at,
        "emailed": emailed,
    }


@blp.route("/workspaces/<int:workspace_id>/invitations", methods=["GET"])
@protected(blp)
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, InvitationPageSchema)
@blp.alt_response(404, response="NOT_FOUND")
def list_invitations(args: dict[str, Any], workspace_id: int) -> dict[str, Any]:
    """Pending invitations (not accepted, withdrawn or expired), newest first."""
    return page_of(teams.pending_invitations(access.principal().workspace_id), args)


@blp.route("/workspaces/<int:workspace_id>/invitations/<int:invitation_id>", methods=["DELETE"])
@protected(blp)
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def revoke_invitation(workspace_id: int, invitation_id: int) -> None:
    """Withdraw an invitation: its link stops working."""
    try:
        teams.revoke_invitation(access.principal(), invitation_id)
    except teams.TeamError as exc:
        refused(exc)
    db.session.commit()
