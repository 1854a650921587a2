"""A job's excluded days: stored calendars checked and built, which jobs use one, and the schedule
of a job with its calendars.

The pure logic (what a calendar excludes, holiday names, checking a definition) is in
`calendars.py`; this module is where it meets the rows. Creating, editing and deleting a calendar
are in `lifecycle.py`, because a calendar edit is a schedule edit of every job that uses it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Calendar, Job
from . import calendars
from .cron import Schedule

# How many calendars one job may name.
MAX_JOB_CALENDARS = 10


def checked_definition(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The definition as stored (codes spelled as the holidays package spells them, dates sorted
    ISO strings), or CalendarError naming the field."""
    built = calendars.build_calendar(definition)
    return {
        "name": built.name,
        "country": built.country,
        "subdivision": built.subdivision,
        "dates": sorted(day.isoformat() for day in built.dates),
        "weekends": built.weekends,
    }


def jobs_using(calendar: Calendar) -> list[Job]:
    """The workspace's jobs whose exclude_calendars name this calendar, by id."""
    # A JSON list cannot be searched the same way on both databases; a user's jobs are few.
    jobs = db.session.scalars(select(Job).where(Job.workspace_id == calendar.workspace_id).order_by(Job.id))
    return [job for job in jobs if calendar.id in (job.exclude_calendars or [])]


def unknown_calendar_ids(ids: Iterable[int], workspace_id: int) -> list[int]:
    """The ids that are not calendars of this user (missing, or another user's)."""
    wanted = list(ids)
    found = Calendar.owned_many(wanted, workspace_id)
    return [i for i in wanted if i not in found]


def built_calendars(ids: Iterable[int]) -> dict[int, calendars.Calendar]:
    """The calendars of these ids, built, by id (one query; ids that are gone are left out)."""
    wanted = sorted({i for i in ids if isinstance(i, int)})
    if not wanted:
        return {}
    rows = db.session.scalars(select(Calendar).where(Calendar.id.in_(wanted)))
    return {row.id: calendars.build_calendar(row.definition()) for row in rows}


def job_schedule(job: Any, built: Mapping[int, calendars.Calendar] | None = None) -> Schedule:
    """The schedule of a job (a Job or a row with its schedule columns) with its calendars, in the
    job's order; `built` is what `built_calendars` returned for a batch of jobs."""
    ids = list(getattr(job, "exclude_calendars", None) or [])
    if built is None:
        built = built_calendars(ids)
    chosen = [built[i] for i in ids if i in built]
    return Schedule.of_job(job, calendars=chosen, on_excluded=getattr(job, "on_excluded", None) or "skip")
