"""Teams: workspaces, members, invitations, API keys, the audit log and job versions."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from ..models import MAX_ID, ROLES, User
from .common import MAX_KEEP_DAYS, PageQuerySchema, Schema, page_schema

_NAME = [validate.Length(min=1, max=200)]


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ma.ValidationError("May not be blank.")


def _role(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.OneOf(ROLES),
        metadata={"enum": list(ROLES), "description": "viewer < editor < admin < owner"},
        **kwargs,
    )


_RETENTION_DAYS = (
    "Days of history kept for jobs without their own keep_days (0: forever; null: the instance's)."
)
_RETENTION_FAILED_DAYS = "Failures kept at least this many days (0: forever; null: the instance's)."


def _days(description: str, **kwargs: Any) -> fields.Integer:
    return fields.Integer(allow_none=True, metadata={"description": description}, **kwargs)


class WorkspaceSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    role = _role(required=True)
    personal = fields.Boolean(required=True, metadata={"description": "The caller's own workspace."})
    created_at = fields.DateTime(required=True)
    retention_days = _days(_RETENTION_DAYS, required=True)
    retention_failed_days = _days(_RETENTION_FAILED_DAYS, required=True)


class WorkspaceInputSchema(Schema):
    name = fields.String(required=True, validate=[*_NAME, _not_blank])

    @ma.post_load
    def _strip(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if "name" in data:
            data["name"] = data["name"].strip()
        return data


class WorkspacePatchSchema(WorkspaceInputSchema):
    """Any of: a new name, the workspace's retention (owners)."""

    retention_days = _days(_RETENTION_DAYS, strict=True, validate=validate.Range(min=0, max=MAX_KEEP_DAYS))
    retention_failed_days = _days(
        _RETENTION_FAILED_DAYS, strict=True, validate=validate.Range(min=0, max=MAX_KEEP_DAYS)
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class MemberSchema(ma.Schema):
    user_id = fields.Integer(required=True)
    email = fields.String(required=True)
    role = _role(required=True)
    joined_at = fields.DateTime(required=True)


class MemberPatchSchema(Schema):
    role = _role(required=True)


class InvitationCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    role = _role(required=True)

    @ma.pre_load
    def _strip(self, data: Any, **_: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("email"), str):
            data = {**data, "email": data["email"].strip()}
        return data

    @ma.post_load
    def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["email"] = User.normalize_email(data["email"])
        return data


class InvitationSchema(ma.Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    role = _role(required=True)
    invited_by = fields.Integer(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)


class InvitationCreatedSchema(ma.Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    role = _role(required=True)
    token = fields.String(required=True, metadata={"description": "Shown only now."})
    accept_url = fields.String(required=True, metadata={"description": "The page where the invitee accepts."})
    expires_at = fields.DateTime(required=True)
    emailed = fields.Boolean(required=True, metadata={"description": "Whether it was sent by e-mail."})


class InvitationDetailsSchema(ma.Schema):
    workspace_id = fields.Integer(required=True)
    workspace_name = fields.String(required=True)
    email = fields.String(required=True)
    role = _role(required=True)
    expires_at = fields.DateTime(required=True)


class ApiKeyCreateSchema(Schema):
    name = fields.String(required=True, validate=[*_NAME, _not_blank])
    role = _role(required=True)
    expires_at = fields.AwareDateTime(
        allow_none=True,
        load_default=None,
        metadata={"description": "ISO 8601 with a UTC offset; never if absent."},
    )


class ApiKeySchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    role = _role(required=True)
    prefix = fields.String(required=True, metadata={"description": "The key's first characters."})
    created_by = fields.Integer(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    last_used_at = fields.DateTime(allow_none=True, required=True)
    expires_at = fields.DateTime(allow_none=True, required=True)


class ApiKeyCreatedSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    role = _role(required=True)
    prefix = fields.String(required=True)
    key = fields.String(required=True, metadata={"description": "The key itself: shown only now."})
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(allow_none=True, required=True)


class ActorSchema(ma.Schema):
    type = fields.String(required=True, metadata={"enum": ["user", "api_key", "system"]})
    id = fields.Integer(allow_none=True, required=True)
    label = fields.String(required=True)


class TargetRefSchema(ma.Schema):
    type = fields.String(required=True)
    id = fields.Integer(allow_none=True, required=True)


def _actor(obj: Any) -> dict[str, Any]:
    return {"type": obj.actor_type, "id": obj.actor_id, "label": obj.actor_label}


class AuditEventSchema(ma.Schema):
    id = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    actor = fields.Function(_actor, required=True, metadata={"type": "object"})
    action = fields.String(required=True)
    target = fields.Function(
        lambda obj: {"type": obj.target_type, "id": obj.target_id}, required=True, metadata={"type": "object"}
    )
    changes = fields.Raw(
        required=True, metadata={"description": "{field: [before, after]}, credentials masked."}
    )
    request_id = fields.String(allow_none=True, required=True)
    ip = fields.String(allow_none=True, required=True)


class AuditQuerySchema(PageQuerySchema):
    action = fields.String(validate=validate.Length(max=40), metadata={"description": "e.g. job.paused"})
    actor = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "'user:<id>' or 'api_key:<id>', or part of the actor's e-mail / key name."},
    )
    job_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()


class VersionSchema(ma.Schema):
    version = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    actor = fields.Function(_actor, required=True, metadata={"type": "object"})
    changes = fields.Raw(
        required=True, metadata={"description": "{field: [before, after]}, credentials masked."}
    )


class VersionDetailSchema(VersionSchema):
    definition = fields.Raw(required=True, metadata={"description": "The job's definition then (masked)."})


WorkspacePageSchema = page_schema(WorkspaceSchema, "WorkspacePage")
MemberPageSchema = page_schema(MemberSchema, "MemberPage")
InvitationPageSchema = page_schema(InvitationSchema, "InvitationPage")
ApiKeyPageSchema = page_schema(ApiKeySchema, "ApiKeyPage")
AuditEventPageSchema = page_schema(AuditEventSchema, "AuditEventPage")
VersionPageSchema = page_schema(VersionSchema, "VersionPage")
