"""The list envelope: one page of a query's rows and the count of all of them."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from ..extensions import db


def page_of(statement: Select, args: dict[str, Any]) -> dict[str, Any]:
    """Run `statement` (already ordered) for one page and count all its rows: the list envelope."""
    page, limit = args["page"], args["limit"]
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    items = db.session.scalars(statement.limit(limit).offset((page - 1) * limit)).unique().all()
    return {"items": items, "page": page, "limit": limit, "total": total or 0}
