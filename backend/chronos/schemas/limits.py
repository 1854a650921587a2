"""Concurrency keys and their limits: what comes in, what goes out."""

from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import ValidationError, fields, validate

from ..models import MAX_CONCURRENCY_KEY
from .common import PageQuerySchema, Schema, page_schema

# Letters, digits and . _ : - (a host name, "billing-api", "smtp:eu"): safe in a URL path and a reason.
_KEY = re.compile(r"^[A-Za-z0-9._:-]+$")
MAX_RUNNING = 1000
MAX_PER_SECOND = 1000.0


def check_concurrency_key(value: str) -> None:
    """A concurrency key: 1 to MAX_CONCURRENCY_KEY letters, digits and . _ : -"""
    if not 1 <= len(value) <= MAX_CONCURRENCY_KEY:
        raise ValidationError(f"Must be 1 to {MAX_CONCURRENCY_KEY} characters.")
    if not _KEY.match(value):
        raise ValidationError("Only letters, digits and . _ : - are allowed.")


class ConcurrencyKeySchema(Schema):
    """The key in `/concurrency-limits/{key}`."""

    key = fields.String(required=True, validate=check_concurrency_key)


class ConcurrencyLimitInputSchema(Schema):
    max_running = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=1, max=MAX_RUNNING),
        metadata={"description": "At most this many executions of the key run at once."},
    )
    per_second = fields.Float(
        allow_none=True,
        load_default=None,
        allow_nan=False,
        validate=validate.Range(min=0.001, max=MAX_PER_SECOND),
        metadata={"description": "At most this many starts per second (a token bucket); null for no rate."},
    )


class ConcurrencyLimitSchema(ma.Schema):
    key = fields.String()
    max_running = fields.Integer()
    per_second = fields.Float(allow_none=True)
    running = fields.Integer(metadata={"description": "Executions of the key running now."})
    waiting = fields.Integer(metadata={"description": "Executions of the key waiting for room."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


ConcurrencyLimitQuerySchema = PageQuerySchema
ConcurrencyLimitPageSchema = page_schema(ConcurrencyLimitSchema, "ConcurrencyLimitPageSchema")
