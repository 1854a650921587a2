"""The list envelope: one page of a query's rows and the count of all of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select

from ..extensions import db


def page_of(statement: Select[Any], args: dict[str, Any]) -> dict[str, Any]:
    """Run `statement` (already ordered) for one page and count all its rows: the list envelope."""
    page, limit = args["page"], args["limit"]
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    items = db.session.scalars(statement.limit(limit).offset((page - 1) * limit)).unique().all()
    return {"items": items, "page": page, "limit": limit, "total": total or 0}


def page_of_list(items: Sequence[Any], args: dict[str, Any]) -> dict[str, Any]:
    """The list envelope over rows already in hand (a short list: a user's workspaces, members)."""
    page, limit = args["page"], args["limit"]
    return {
        "items": list(items[(page - 1) * limit : page * limit]),
        "page": page,
        "limit": limit,
        "total": len(items),
    }
