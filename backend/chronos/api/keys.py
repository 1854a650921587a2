"""API keys: create (the key shown once), list, revoke."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from .. import access, teams
from ..extensions import db
from ..schemas.common import PageQuerySchema
from ..schemas.teams import ApiKeyCreatedSchema, ApiKeyCreateSchema, ApiKeyPageSchema
from .auth import protected
from .pagination import page_of
from .workspaces import refused

blp = Blueprint("keys", __name__, description="API keys: for scripts and CI, sent as Authorization: Bearer.")


@blp.route("/workspaces/<int:workspace_id>/api-keys", methods=["POST"])
@protected(blp)
@blp.arguments(ApiKeyCreateSchema, example={"name": "CI deploys", "role": "editor"})
@blp.response(201, ApiKeyCreatedSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def create_key(data: dict[str, Any], workspace_id: int) -> dict[str, Any]:
    """A key acting in this workspace with `role` (at most yours). `key` is shown only now; Chronos
    keeps only its digest."""
    try:
        key, value = teams.create_key(access.principal(), data["name"], data["role"], data["expires_at"])
    except teams.TeamError as exc:
        refused(exc)
    db.session.commit()
    return {
        "id": key.id,
        "name": key.name,
        "role": key.role,
        "prefix": key.prefix,
        "key": value,
        "created_at": key.created_at,
        "expires_at": key.expires_at,
    }


@blp.route("/workspaces/<int:workspace_id>/api-keys", methods=["GET"])
@protected(blp)
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, ApiKeyPageSchema)
@blp.alt_response(404, response="NOT_FOUND")
def list_keys(args: dict[str, Any], workspace_id: int) -> dict[str, Any]:
    """The workspace's keys (never the key itself), newest first, with when each was last used."""
    return page_of(teams.keys_of(access.principal().workspace_id), args)


@blp.route("/workspaces/<int:workspace_id>/api-keys/<int:key_id>", methods=["DELETE"])
@protected(blp)
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND")
def revoke_key(workspace_id: int, key_id: int) -> None:
    """Revoke a key: every web process refuses it from the next request on."""
    try:
        teams.revoke_key(access.principal(), key_id)
    except teams.TeamError as exc:
        refused(exc)
    db.session.commit()
