"""Backfills: run a job's past slots in a range, list them with their progress, cancel one."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_smorest import Blueprint, abort

from .. import tasks
from ..extensions import db
from ..models import Backfill, db_now
from ..scheduling import backfills
from ..scheduling.backfills import BackfillError, BackfillStateError
from ..scheduling.cron import zone_or_utc
from ..schemas.backfills import BackfillDryRunSchema, BackfillInputSchema, BackfillPageSchema, BackfillSchema
from ..schemas.common import PageQuerySchema
from .auth import protected
from .jobs import owned_job
from .pagination import page_of

blp = Blueprint("backfills", __name__, description="Backfills: a job's past slots, run again.")


def _refuse(exc: BackfillError) -> None:
    abort(422, message=str(exc), messages={"json": {exc.field: [str(exc)]}})


@blp.route("/jobs/<int:job_id>/backfill", methods=["POST"])
@protected(blp)
@blp.arguments(
    BackfillInputSchema,
    examples={
        "dry run": {
            "summary": "Which slots would run",
            "value": {
                "from": "2026-11-01T00:00:00+01:00",
                "to": "2026-11-08T00:00:00+01:00",
                "dry_run": True,
            },
        },
        "start": {
            "summary": "Run them, two at a time",
            "value": {
                "from": "2026-11-01T00:00:00+01:00",
                "to": "2026-11-08T00:00:00+01:00",
                "max_concurrency": 2,
            },
        },
    },
)
@blp.response(202, BackfillSchema)
@blp.alt_response(200, schema=BackfillDryRunSchema, description="The dry run: the slots in the range.")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def backfill(data: dict[str, Any], job_id: int) -> Any:
    """Run the job's own slots in [from, to] again: one execution (trigger `backfill`) per slot that
    has none yet, at most `max_concurrency` at a time, oldest first. With `dry_run` only the slots are
    shown (200). A range of more than 10,000 slots is refused (422, with the count)."""
    job = owned_job(job_id)
    start, end = data["range_start"], data["range_end"]
    try:
        if data["dry_run"]:
            zone = zone_or_utc(job.timezone)
            found = backfills.check_range(job, start, end, db_now())
            slots = [slot.astimezone(zone).isoformat() for slot in found]
            # A Response of its own: the 202 schema is the started backfill's.
            return jsonify(BackfillDryRunSchema().dump({"count": len(slots), "slots": slots}))
        created = tasks.start_backfill(job, start, end, data["max_concurrency"])
    except BackfillError as exc:
        db.session.rollback()
        _refuse(exc)
    except BackfillStateError as exc:
        db.session.rollback()
        abort(409, message=str(exc))
    return backfills.progress([created])[0]


@blp.route("/jobs/<int:job_id>/backfills", methods=["GET"])
@protected(blp)
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, BackfillPageSchema)
@blp.alt_response(404, response="NOT_FOUND")
def list_backfills(args: dict[str, Any], job_id: int) -> dict[str, Any]:
    """The job's backfills, newest first, each with its status and its executions per status."""
    page = page_of(backfills.of_job(owned_job(job_id)), args)
    page["items"] = backfills.progress(list(page["items"]))
    return page


@blp.route("/jobs/<int:job_id>/backfills/<int:backfill_id>", methods=["DELETE"])
@protected(blp)
@blp.response(200, BackfillSchema)
@blp.alt_response(404, response="NOT_FOUND")
def cancel_backfill(job_id: int, backfill_id: int) -> Any:
    """Cancel a backfill: its executions not started yet become `cancelled`; finished runs stay, and
    a run already going finishes."""
    job = owned_job(job_id)
    found = Backfill.of_job(backfill_id, job.id)
    if found is None:
        abort(404, message=f"Backfill {backfill_id} not found.")
    assert found is not None  # abort raised
    backfills.cancel(found, db_now())
    db.session.commit()
    return backfills.progress([found])[0]
