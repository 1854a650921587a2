"""Invitations as the invitee sees them: what one offers, and accepting it."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from .. import access, teams
from ..extensions import db
from ..schemas.teams import InvitationDetailsSchema, WorkspaceSchema
from .auth import protected
from .workspaces import refused

blp = Blueprint("invitations", __name__, description="Invitations: see one, accept it.")


@blp.route("/invitations/<string:token>", methods=["GET"])
@protected(blp)
@blp.response(200, InvitationDetailsSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(410, response="GONE")
def get_invitation(token: str) -> dict[str, Any]:
    """What the invitation offers (workspace, e-mail, role, expiry), for the accept page.
    410 when it was withdrawn, used or has expired."""
    try:
        return teams.invitation_details(token)
    except teams.TeamError as exc:
        refused(exc)


@blp.route("/invitations/<string:token>/accept", methods=["POST"])
@protected(blp)
@blp.response(200, WorkspaceSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(410, response="GONE")
def accept_invitation(token: str) -> teams.WorkspaceView:
    """Join the workspace with the invited role: the signed-in user's e-mail must be the invited one
    (403 otherwise); 410 when the invitation was withdrawn, used or has expired."""
    try:
        workspace = teams.accept(token, access.user_id())
    except teams.TeamError as exc:
        refused(exc)
    db.session.commit()
    return workspace
