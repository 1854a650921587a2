"""Calendars of excluded days (create, list, read with a year's days, edit, delete) and the
calendar view of what ran and what will run."""

from __future__ import annotations

from datetime import UTC
from typing import Any, cast

from flask_smorest import Blueprint, abort
from sqlalchemy import select

from .. import access
from ..extensions import db
from ..models import Calendar, Job, db_now
from ..scheduling import lifecycle
from ..scheduling.agenda import calendar_view
from ..scheduling.calendars import CalendarError, build_calendar, supported_countries
from ..schemas.calendars import (
    CalendarDaysSchema,
    CalendarInputSchema,
    CalendarListSchema,
    CalendarPatchSchema,
    CalendarSchema,
    CalendarViewQuerySchema,
    CalendarViewSchema,
    CalendarYearQuerySchema,
    CountriesSchema,
)
from .auth import protected

blp = Blueprint("calendars", __name__, description="Calendars of excluded days, and the calendar view.")


def owned_calendar(calendar_id: int) -> Calendar:
    """The signed-in user's calendar, or 404 (also for another user's)."""
    calendar = Calendar.owned(calendar_id, access.principal().workspace_id)
    if calendar is None:
        abort(404, message=f"Calendar {calendar_id} not found.")
    return cast(Calendar, calendar)


def _refused(exc: CalendarError) -> None:
    abort(422, messages={"json": {exc.field: [str(exc)]}})


@blp.route("/calendars", methods=["POST"])
@protected(blp)
@blp.arguments(
    CalendarInputSchema,
    examples={
        "holidays": {
            "summary": "Public holidays in Bavaria, and weekends",
            "value": {"name": "Bavaria", "country": "DE", "subdivision": "BY", "weekends": True},
        },
        "dates": {
            "summary": "Custom days",
            "value": {"name": "Shutdown", "dates": ["2026-12-24", "2026-12-31"]},
        },
    },
)
@blp.response(201, CalendarSchema)
def create_calendar(data: dict[str, Any]) -> Calendar:
    """Create a calendar: public holidays by country (and subdivision), custom dates, weekends."""
    try:
        calendar = lifecycle.create_calendar(access.principal().workspace_id, data)
    except CalendarError as exc:
        _refused(exc)
    db.session.commit()
    return calendar


@blp.route("/calendars", methods=["GET"])
@protected(blp)
@blp.response(200, CalendarListSchema)
def list_calendars() -> dict[str, Any]:
    """The user's calendars, oldest first."""
    statement = (
        select(Calendar).where(Calendar.workspace_id == access.principal().workspace_id).order_by(Calendar.id)
    )
    return {"items": list(db.session.scalars(statement))}


@blp.route("/calendars/countries", methods=["GET"])
@protected(blp)
@blp.response(200, CountriesSchema)
def list_countries() -> dict[str, Any]:
    """The country codes whose public holidays a calendar can take, each with its subdivisions."""
    return {"countries": supported_countries()}


@blp.route("/calendars/<int:calendar_id>", methods=["GET"])
@protected(blp)
@blp.arguments(CalendarYearQuerySchema, location="query")
@blp.response(200, CalendarDaysSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_calendar(args: dict[str, Any], calendar_id: int) -> dict[str, Any]:
    """One calendar with its excluded days of a year (`year`, default this year), each with its
    reasons (holiday names, 'Saturday', 'excluded date')."""
    calendar = owned_calendar(calendar_id)
    year = args.get("year") or db_now().astimezone(UTC).year
    days = build_calendar(calendar.definition()).days(year)
    return {
        **{name: getattr(calendar, name) for name in CalendarSchema().fields},
        "year": year,
        "days": [{"date": day.day, "reasons": list(day.reasons)} for day in days],
    }


@blp.route("/calendars/<int:calendar_id>", methods=["PATCH"])
@protected(blp)
@blp.arguments(CalendarPatchSchema, example={"weekends": True})
@blp.response(200, CalendarSchema)
@blp.alt_response(404, response="NOT_FOUND")
def update_calendar(changes: dict[str, Any], calendar_id: int) -> Calendar:
    """Edit any field; checked as a whole calendar. The jobs using it are planned afresh."""
    calendar = owned_calendar(calendar_id)
    try:
        lifecycle.edit_calendar(calendar, changes, db_now())
    except CalendarError as exc:
        _refused(exc)
    db.session.commit()
    return calendar


@blp.route("/calendars/<int:calendar_id>", methods=["DELETE"])
@protected(blp)
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def delete_calendar(calendar_id: int) -> None:
    """Delete a calendar; 409 naming the jobs while any job uses it."""
    try:
        lifecycle.delete_calendar(owned_calendar(calendar_id))
    except lifecycle.CalendarInUseError as exc:
        abort(409, message=str(exc))
    db.session.commit()


@blp.route("/calendar", methods=["GET"])
@protected(blp)
@blp.arguments(CalendarViewQuerySchema, location="query")
@blp.response(200, CalendarViewSchema)
@blp.alt_response(404, response="NOT_FOUND")
def view_calendar(args: dict[str, Any]) -> dict[str, Any]:
    """Day by day from `from` to `to` (at most 62 days): per job, its executions by status and its
    skips with their reasons (the past), the runs it will fire and skip (the future), and the
    holidays and DST changes of the jobs shown. `job_id` shows one job."""
    statement = select(Job).where(Job.workspace_id == access.principal().workspace_id).order_by(Job.id)
    if args.get("job_id") is not None:
        job = Job.owned(args["job_id"], access.principal().workspace_id)
        if job is None:
            abort(404, message=f"Job {args['job_id']} not found.")
        jobs = [cast(Job, job)]
    else:
        jobs = list(db.session.scalars(statement))
    return calendar_view(jobs, args["from_"], args["to"], db_now())
