"""Cron preview for the schedule builder: is an expression valid, when does it fire next, and what
do DST transitions and jitter do to those runs."""

from __future__ import annotations

from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from flask_smorest import Blueprint

from ..models import utcnow
from ..scheduling.calendars import Calendar
from ..scheduling.cron import (
    DstPolicy,
    Run,
    Schedule,
    ScheduleError,
    describe_run,
    load_zone,
    upcoming_runs,
    validate_cron,
)
from ..scheduling.exclusions import built_calendars
from ..schemas.ops import CronPreviewResultSchema, CronPreviewSchema

blp = Blueprint("cron", __name__, description="Cron expression preview (no sign-in needed).")

# Skipped runs are listed too; a schedule that skips for a long stretch stops the list here.
MAX_PREVIEW_RUNS = 100


@blp.route("/cron/preview", methods=["POST"])
@blp.arguments(
    CronPreviewSchema, example={"cron_expression": "0 9 * * 1-5", "timezone": "America/New_York", "count": 3}
)
@blp.response(200, CronPreviewResultSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def preview(data: dict[str, Any]) -> dict[str, Any]:
    """The next `count` firings in the zone, and every run up to them with its DST marker and skip
    reason; or `valid: false` with the reason (answered with 200, so the builder can show it
    inline). Open without a token, under the default rate limit; `exclude_calendars` (ids of your
    calendars) needs one."""
    try:
        zone = load_zone(data["timezone"])
        expression = validate_cron(data["cron_expression"])
        schedule = Schedule(
            cron_expression=expression,
            timezone=data["timezone"],
            dst_policy=DstPolicy.of(data["dst_policy"]),
            jitter_seconds=data["jitter_seconds"],
            job_id=data["job_id"],
            calendars=_calendars(data["exclude_calendars"]),
            on_excluded=data["on_excluded"],
        )
        runs = _runs(schedule, data["count"])
    except ScheduleError as exc:
        return {"valid": False, "error": str(exc)}
    firing = [run.fires_at for run in runs if run.fires_at is not None]
    return {
        "valid": True,
        "expression": expression,
        "timezone": data["timezone"],
        "next_runs": [at.astimezone(zone).isoformat() for at in firing],
        "next_runs_utc": [at.astimezone(UTC).isoformat() for at in firing],
        "runs": [_run_body(run, zone) for run in runs],
    }


def _calendars(ids: list[int]) -> tuple[Calendar, ...]:
    """The calendars of these ids (checked as the caller's by the schema), in the order given."""
    built = built_calendars(ids)
    return tuple(built[i] for i in ids if i in built)


def _runs(schedule: Schedule, count: int) -> list[Run]:
    """Runs in order until `count` of them fire (or MAX_PREVIEW_RUNS in all)."""
    runs: list[Run] = []
    firing = 0
    for run in upcoming_runs(schedule, utcnow()):
        runs.append(run)
        firing += run.fires_at is not None
        if firing == count or len(runs) == MAX_PREVIEW_RUNS:
            break
    return runs


def _run_body(run: Run, zone: ZoneInfo) -> dict[str, Any]:
    at = run.fires_at or run.slot
    return {
        "at": at.astimezone(zone).isoformat(),
        "at_utc": at.astimezone(UTC).isoformat(),
        "dst": run.dst,
        "offset_before": run.offset_before,
        "offset_after": run.offset_after,
        "skipped": run.skipped,
        "note": describe_run(run, zone),
    }
