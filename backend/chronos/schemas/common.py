"""What every schema shares: the base input schema, pagination, and field checks used in several."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import marshmallow as ma
from marshmallow import ValidationError, fields, validate

MAX_PAGE = 1_000_000
# The longest history a job's keep_days or a workspace's retention_days may ask for (ten years).
MAX_KEEP_DAYS = 3650


class Schema(ma.Schema):
    """Every input schema refuses unknown fields (marshmallow's default, stated for the reader)."""

    class Meta:
        unknown = ma.RAISE


def json_size(value: Any) -> int:
    """Bytes of the compact JSON serialisation (what is stored and sent)."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def check_url(value: str) -> None:
    """An http(s) URL naming a host, or ValidationError."""
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise ValidationError("A URL may not contain spaces or control characters.")
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        raise ValidationError("Not a valid URL.") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError("Only http:// and https:// URLs are allowed.")
    if not parts.hostname:
        raise ValidationError("The URL must name a host.")


class PageQuerySchema(Schema):
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": "Page number, from 1."},
    )
    limit = fields.Integer(
        load_default=20,
        validate=validate.Range(min=1, max=100),
        metadata={"description": "Items per page, 1 to 100."},
    )


class PageSchema(ma.Schema):
    page = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "Items across all pages."})


def page_schema(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The list envelope {items, page, limit, total} around `item` (named for the OpenAPI document)."""
    return type(name, (PageSchema,), {"items": fields.List(fields.Nested(item), required=True)})
