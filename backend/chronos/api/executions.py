"""Execution history: the user's executions, one execution with its attempts, and its log lines."""

from __future__ import annotations

from typing import Any, cast

from flask_smorest import Blueprint, abort
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from .. import access, tasks
from ..models import Execution, ExecutionLog, db_now
from ..schemas.executions import (
    ExecutionDetailSchema,
    ExecutionListQuerySchema,
    ExecutionLogPageSchema,
    ExecutionPageSchema,
    ExecutionSchema,
    LogQuerySchema,
)
from .auth import protected
from .pagination import page_of

blp = Blueprint("executions", __name__, description="Execution history and logs.")


def history(statement: Select[Any], args: dict[str, Any]) -> Select[Any]:
    """Filter an execution query as the history lists do: `status`, and planned slots only on request.

    The planner inserts slots up to its look-ahead before they are due; they are not history yet,
    so they appear only with `include=planned`.
    """
    if args.get("status"):
        statement = statement.where(Execution.status == args["status"])
    if args.get("include") != "planned":
        statement = statement.where(or_(Execution.status != "pending", Execution.scheduled_for <= db_now()))
    return statement


def owned_execution(execution_id: int) -> Execution:
    """The workspace's execution, or 404 (also for another workspace's)."""
    execution = Execution.owned(execution_id, access.principal().workspace_id)
    if execution is None:
        abort(404, message=f"Execution {execution_id} not found.")
    return cast(Execution, execution)


@blp.route("/executions", methods=["GET"])
@protected(blp)
@blp.arguments(ExecutionListQuerySchema, location="query")
@blp.response(200, ExecutionPageSchema)
def list_executions(args: dict[str, Any]) -> dict[str, Any]:
    """All of the user's executions, newest first; filter by `status` and `job_id`; planned slots
    not yet due only with `include=planned`."""
    statement = history(
        select(Execution)
        .where(Execution.workspace_id == access.principal().workspace_id)
        .options(joinedload(Execution.job)),
        args,
    )
    if args.get("job_id"):
        statement = statement.where(Execution.job_id == args["job_id"])
    return page_of(statement.order_by(Execution.id.desc()), args)


@blp.route("/executions/<int:execution_id>", methods=["GET"])
@protected(blp)
@blp.response(200, ExecutionDetailSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_execution(execution_id: int) -> Execution:
    """One execution with every attempt's outcome."""
    return owned_execution(execution_id)


@blp.route("/executions/<int:execution_id>/rerun", methods=["POST"])
@protected(blp)
@blp.response(202, ExecutionSchema)
@blp.alt_response(404, response="NOT_FOUND")
def rerun_execution(execution_id: int) -> Execution:
    """Run an execution again now: a new execution (trigger `rerun`, `rerun_of` this one) with the
    payload this one was given."""
    return tasks.rerun(owned_execution(execution_id))


@blp.route("/executions/<int:execution_id>/logs", methods=["GET"])
@protected(blp)
@blp.arguments(LogQuerySchema, location="query")
@blp.response(200, ExecutionLogPageSchema)
@blp.alt_response(404, response="NOT_FOUND")
def list_logs(args: dict[str, Any], execution_id: int) -> dict[str, Any]:
    """The execution's log lines, oldest first; `attempt` narrows to one attempt."""
    execution = owned_execution(execution_id)
    statement = select(ExecutionLog).where(ExecutionLog.execution_id == execution.id)
    if args.get("attempt") is not None:
        statement = statement.where(ExecutionLog.attempt == args["attempt"])
    return page_of(statement.order_by(ExecutionLog.id), args)
