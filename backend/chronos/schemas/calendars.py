"""Calendars of excluded days and the calendar view: what comes in and what goes out.

A calendar definition is checked as a whole by `scheduling/calendars.build_calendar` (codes against
the `holidays` package, ISO dates), called from `scheduling/lifecycle`; these schemas bound sizes
and types so nothing unbounded reaches it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import marshmallow as ma
from marshmallow import ValidationError, fields, validate

from .. import access
from ..models import EXECUTION_STATUSES, MAX_ID
from ..scheduling.calendars import MAX_DATES, MAX_NAME_LENGTH
from ..scheduling.cron import ON_EXCLUDED
from ..scheduling.exclusions import MAX_JOB_CALENDARS, unknown_calendar_ids
from .common import Schema

# The calendar view shows at most this many days at once (two months and a bit).
MAX_VIEW_DAYS = 62


def check_calendars(ids: list[int]) -> None:
    """Ids of the workspace's calendars, each once (another workspace's id reads as unknown, never
    a hint that it exists)."""
    if len(set(ids)) != len(ids):
        raise ValidationError("A calendar is named twice.")
    if not ids:
        return
    acting = access.principal_if_any()
    if acting is None:
        raise ValidationError("Sign in to use calendars.")
    unknown = unknown_calendar_ids(ids, acting.workspace_id)
    if unknown:
        raise ValidationError(
            f"Unknown calendar id(s) {', '.join(map(str, unknown))}; "
            "use the ids of your calendars (GET /api/v1/calendars)."
        )


def exclude_calendars_field(description: str) -> fields.List[Any]:
    """A job's (or a preview's) `exclude_calendars`: ids of the workspace's calendars, checked."""
    return fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID)),
        load_default=list,
        validate=[validate.Length(max=MAX_JOB_CALENDARS), check_calendars],
        metadata={"description": description},
    )


def on_excluded_field(description: str) -> fields.String:
    """What a run on an excluded day does (`ON_EXCLUDED`; default skip)."""
    return fields.String(
        load_default="skip", validate=validate.OneOf(ON_EXCLUDED), metadata={"description": description}
    )


class CalendarInputSchema(Schema):
    """Every field a user sets on a calendar; a PATCH sends any subset."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=MAX_NAME_LENGTH))
    country = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=8),
        metadata={
            "description": "ISO 3166 code: public holidays of that country ('DE', 'US', 'GB').",
            "example": "DE",
        },
    )
    subdivision = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=64),
        metadata={
            "description": "Its subdivision code ('BY', 'CA', 'SCT'): regional holidays too.",
            "example": "BY",
        },
    )
    dates = fields.List(
        fields.String(validate=validate.Length(max=10)),
        load_default=list,
        validate=validate.Length(max=MAX_DATES),
        metadata={"description": "Custom excluded days, ISO dates.", "example": ["2026-12-24"]},
    )
    weekends = fields.Boolean(load_default=False, metadata={"description": "Exclude Saturdays and Sundays."})


class CalendarPatchSchema(CalendarInputSchema):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class CalendarSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    country = fields.String(allow_none=True, required=True)
    subdivision = fields.String(allow_none=True, required=True)
    dates = fields.List(fields.String(), required=True)
    weekends = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class CalendarListSchema(ma.Schema):
    items = fields.List(fields.Nested(CalendarSchema), required=True)


class ExcludedDaySchema(ma.Schema):
    date = fields.Date(required=True)
    reasons = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Holiday names, 'Saturday', 'excluded date'."},
    )


class CalendarDaysSchema(CalendarSchema):
    year = fields.Integer(required=True)
    days = fields.List(fields.Nested(ExcludedDaySchema), required=True)


class CalendarYearQuerySchema(Schema):
    year = fields.Integer(
        validate=validate.Range(min=1970, max=2100),
        metadata={"description": "The year whose excluded days to list; default this year."},
    )


class CountriesSchema(ma.Schema):
    countries = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={"description": "Country code → its subdivision codes, as the holidays package knows them."},
    )


# --- the calendar view --------------------------------------------------------------------------


# The days the calendar view can show (holidays and time zones are known for these).
_VIEW_DAYS = validate.Range(
    min=date(1970, 1, 1), max=date(2100, 12, 31), error="Must be a day from 1970 to 2100."
)


class CalendarViewQuerySchema(Schema):
    from_ = fields.Date(
        required=True, data_key="from", validate=_VIEW_DAYS, metadata={"description": "First day, ISO date."}
    )
    to = fields.Date(
        required=True,
        validate=_VIEW_DAYS,
        metadata={"description": f"Last day (inclusive), at most {MAX_VIEW_DAYS} days on."},
    )
    job_id = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID), metadata={"description": "Only this job."}
    )

    @ma.validates_schema
    def _range(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("from_"), data.get("to")
        if not isinstance(start, date) or not isinstance(end, date):
            return
        if end < start:
            raise ValidationError("Must be on or after 'from'.", "to")
        if end - start >= timedelta(days=MAX_VIEW_DAYS):
            raise ValidationError(f"At most {MAX_VIEW_DAYS} days from 'from'.", "to")


class SkippedRunSchema(ma.Schema):
    at = fields.String(required=True, metadata={"description": "The slot, ISO 8601 in the job's zone."})
    reason = fields.String(
        required=True, metadata={"description": "'dst_gap', 'calendar: <name>', 'missed', ..."}
    )


class DayJobSchema(ma.Schema):
    job_id = fields.Integer(required=True)
    name = fields.String(required=True)
    counts = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": f"Executions that day by status ({', '.join(EXECUTION_STATUSES)})."},
    )
    planned = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Future runs that fire, ISO 8601 in the job's zone."},
    )
    skipped = fields.List(fields.Nested(SkippedRunSchema), required=True)


class DayMarkSchema(ma.Schema):
    calendar = fields.String(required=True)
    reasons = fields.List(fields.String(), required=True)


class DstMarkSchema(ma.Schema):
    timezone = fields.String(required=True)
    offset_before = fields.String(required=True)
    offset_after = fields.String(required=True)


class DaySchema(ma.Schema):
    date = fields.Date(required=True)
    jobs = fields.List(fields.Nested(DayJobSchema), required=True)
    excluded = fields.List(
        fields.Nested(DayMarkSchema),
        required=True,
        metadata={"description": "The calendars (of the jobs shown) that exclude this day, and why."},
    )
    dst = fields.List(
        fields.Nested(DstMarkSchema),
        required=True,
        metadata={"description": "The zones (of the jobs shown) whose clocks change this day."},
    )


class CalendarViewSchema(ma.Schema):
    days = fields.List(fields.Nested(DaySchema), required=True)
    truncated = fields.Boolean(
        required=True,
        metadata={"description": "A job had more runs than the view lists; the rest are left out."},
    )
