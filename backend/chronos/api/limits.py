"""Concurrency limits: per key, how many executions run at once and how fast they start."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint, abort
from marshmallow import ValidationError
from sqlalchemy import select

from .. import access
from ..extensions import db
from ..models import ConcurrencyLimit
from ..scheduling import limits
from ..schemas.limits import (
    ConcurrencyKeySchema,
    ConcurrencyLimitInputSchema,
    ConcurrencyLimitPageSchema,
    ConcurrencyLimitQuerySchema,
    ConcurrencyLimitSchema,
)
from .auth import protected
from .pagination import page_of

blp = Blueprint(
    "concurrency-limits", __name__, description="Concurrency limits: jobs sharing a key share its limit."
)


def _key(key: str) -> str:
    """The key from the path, or 422 naming it."""
    try:
        return str(ConcurrencyKeySchema().load({"key": key})["key"])
    except ValidationError as err:
        abort(422, messages={"path": err.messages})
    raise AssertionError("unreachable: abort raises")


def _owned(key: str) -> ConcurrencyLimit:
    limit = ConcurrencyLimit.owned(_key(key), access.principal().workspace_id)
    if limit is None:
        abort(404, message=f"No concurrency limit for key {key!r}.")
    return limit  # type: ignore[return-value]


@blp.route("/concurrency-limits", methods=["GET"])
@protected(blp)
@blp.arguments(ConcurrencyLimitQuerySchema, location="query")
@blp.response(200, ConcurrencyLimitPageSchema)
def list_limits(args: dict[str, Any]) -> dict[str, Any]:
    """Your concurrency limits by key, each with its key's running and waiting executions."""
    statement = select(ConcurrencyLimit).where(
        ConcurrencyLimit.workspace_id == access.principal().workspace_id
    )
    page = page_of(statement.order_by(ConcurrencyLimit.key), args)
    page["items"] = limits.usage(page["items"])
    return page


@blp.route("/concurrency-limits/<string:key>", methods=["PUT"])
@protected(blp)
@blp.arguments(ConcurrencyLimitInputSchema, examples={"five": {"value": {"max_running": 5, "per_second": 2}}})
@blp.response(200, ConcurrencyLimitSchema)
def put_limit(data: dict[str, Any], key: str) -> Any:
    """Set the key's limit: at most `max_running` of its executions run at once, and (optional) at most
    `per_second` start per second. Executions over it wait (status `waiting`) and start in order."""
    limit = limits.set_limit(
        access.principal().workspace_id, _key(key), data["max_running"], data["per_second"]
    )
    db.session.commit()
    return limits.usage([limit])[0]


@blp.route("/concurrency-limits/<string:key>", methods=["GET"])
@protected(blp)
@blp.response(200, ConcurrencyLimitSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def get_limit(key: str) -> Any:
    """One key's limit, with its running and waiting executions."""
    return limits.usage([_owned(key)])[0]


@blp.route("/concurrency-limits/<string:key>", methods=["DELETE"])
@protected(blp)
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def delete_limit(key: str) -> None:
    """Remove the key's limit: its waiting executions start (the safety sync queues them)."""
    db.session.delete(_owned(key))
    db.session.commit()
