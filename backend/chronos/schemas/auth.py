"""Accounts and tokens: what registering, signing in and out take, and what they answer."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from ..models import User
from .common import Schema
from .teams import WorkspaceSchema


class RegisterSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=8, max=1024, error="Must be between {min} and {max} characters."),
    )

    @ma.pre_load
    def _strip(self, data: Any, **_: Any) -> Any:
        # Pasted addresses often carry spaces; they are not part of the address.
        if isinstance(data, dict) and isinstance(data.get("email"), str):
            data = {**data, "email": data["email"].strip()}
        return data

    @ma.post_load
    def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["email"] = User.normalize_email(data["email"])
        return data


class LoginSchema(Schema):
    # Not fields.Email: a malformed address must get the same 401 as a wrong one.
    email = fields.String(required=True, validate=validate.Length(max=320))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=1024))


class LogoutSchema(Schema):
    refresh_token = fields.String(
        validate=validate.Length(max=4096), metadata={"description": "Also revoke this refresh token."}
    )


class UserSchema(ma.Schema):
    id = fields.Integer(dump_only=True)
    email = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class MeSchema(UserSchema):
    """The signed-in user and the workspaces they belong to (the personal one first)."""

    workspaces = fields.List(fields.Nested(WorkspaceSchema), required=True)


class TokenSchema(ma.Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "Access token lifetime, seconds."})
    user = fields.Nested(UserSchema, required=True)


class RegisteredSchema(UserSchema):
    """A new account: the user (as before, at the top level) and tokens, so sign-up signs in."""

    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "Access token lifetime, seconds."})
    user = fields.Nested(UserSchema, required=True)
