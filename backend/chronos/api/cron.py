"""Cron preview for the schedule builder: is an expression valid, and when does it fire next."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from ..models import utcnow
from ..scheduling.cron import ScheduleError, cron_next, load_zone, validate_cron
from ..schemas.ops import CronPreviewResultSchema, CronPreviewSchema

blp = Blueprint("cron", __name__, description="Cron expression preview (no sign-in needed).")


@blp.route("/cron/preview", methods=["POST"])
@blp.arguments(
    CronPreviewSchema, example={"cron_expression": "0 9 * * 1-5", "timezone": "America/New_York", "count": 3}
)
@blp.response(200, CronPreviewResultSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def preview(data: dict[str, Any]) -> dict[str, Any]:
    """The next `count` firings in the zone, or `valid: false` with the reason (answered with 200,
    so the builder can show it inline). Open without a token, under the default rate limit."""
    try:
        zone = load_zone(data["timezone"])
        expression = validate_cron(data["cron_expression"])
        runs = cron_next(expression, data["timezone"], utcnow(), data["count"])
    except ScheduleError as exc:
        return {"valid": False, "error": str(exc)}
    return {
        "valid": True,
        "expression": expression,
        "timezone": data["timezone"],
        "next_runs": [run.astimezone(zone).isoformat() for run in runs],
        "next_runs_utc": [run.isoformat() for run in runs],
    }
