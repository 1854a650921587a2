"""Backfills: the request (a range of the job's past slots), the dry run's answer, the progress."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from ..models import EXECUTION_STATUSES
from .common import Schema, page_schema

MAX_CONCURRENCY = 100
_AWARE: dict[str, Any] = {
    "invalid": "Not a valid ISO 8601 date-time.",
    "invalid_awareness": "Must carry a UTC offset, e.g. 2026-11-01T00:00:00+01:00.",
}


class BackfillInputSchema(Schema):
    range_start = fields.AwareDateTime(
        data_key="from",
        required=True,
        error_messages=_AWARE,
        metadata={"description": "The first instant of the range (ISO 8601 with a UTC offset)."},
    )
    range_end = fields.AwareDateTime(
        data_key="to",
        required=True,
        error_messages=_AWARE,
        metadata={"description": "The last instant of the range (inclusive); not in the future."},
    )
    dry_run = fields.Boolean(
        load_default=False, metadata={"description": "Only list the slots; nothing is created."}
    )
    max_concurrency = fields.Integer(
        strict=True,
        load_default=1,
        validate=validate.Range(min=1, max=MAX_CONCURRENCY),
        metadata={"description": "At most this many of its executions run at once (default 1)."},
    )


class BackfillDryRunSchema(ma.Schema):
    count = fields.Integer(metadata={"description": "Slots of the job's schedule in the range."})
    slots = fields.List(
        fields.String(), metadata={"description": "Each slot, ISO 8601 in the job's time zone."}
    )


class BackfillSchema(ma.Schema):
    id = fields.Integer()
    job_id = fields.Integer()
    range_start = fields.DateTime(data_key="from")
    range_end = fields.DateTime(data_key="to")
    max_concurrency = fields.Integer()
    status = fields.String(metadata={"enum": ["running", "completed", "cancelled"]})
    count = fields.Integer(
        attribute="created_count",
        metadata={"description": "Executions created (slots that had none yet)."},
    )
    slot_count = fields.Integer(
        metadata={"description": "Slots in the range (those with an execution included)."}
    )
    counts = fields.Dict(
        keys=fields.String(validate=validate.OneOf(EXECUTION_STATUSES)),
        values=fields.Integer(),
        metadata={"description": "Its executions per status."},
    )
    created_at = fields.DateTime()
    cancelled_at = fields.DateTime(allow_none=True)


BackfillPageSchema = page_schema(BackfillSchema, "BackfillPageSchema")
