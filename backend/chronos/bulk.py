"""Many rows at once: the bulk writes of the planner and the executor, done the fastest way each
database offers.

At a thousand firings a second the engine inserts a thousand slot rows and a few thousand log
lines a second. A multi-row `VALUES` list is a new statement for every batch size, which psycopg
must parse again each time (measured: a fifth of the consumer's CPU went to it). On PostgreSQL
these writes are one short statement whatever the number of rows — `COPY` for log lines, arrays
through `unnest` for slots (which need `ON CONFLICT` and `RETURNING`) — so the statement is
parsed once. SQLite takes the same rows through SQLAlchemy's executemany.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, insert, text

from .extensions import db
from .models import Execution, ExecutionLog, UTCDateTime, insert_for_dialect, utcnow

_executions = Execution.__table__
_logs = ExecutionLog.__table__

LOG_COLUMNS = ("execution_id", "attempt", "timestamp", "level", "message", "data")
SLOT_COLUMNS = (
    "job_id",
    "owner_id",
    "job_version",
    "scheduled_for",
    "trigger",
    "status",
    "reason",
    "missed_count",
    "finished_at",
)

_INSERT_SLOTS = text(
    """
    INSERT INTO executions (job_id, owner_id, job_version, scheduled_for, trigger, status, reason,
                            missed_count, finished_at, attempt, attempts, created_at, updated_at)
    SELECT job_id, owner_id, job_version, scheduled_for, trigger, status, reason, missed_count,
           finished_at, 0, CAST('[]' AS json), :stamp, :stamp
    FROM unnest(CAST(:job_id AS bigint[]), CAST(:owner_id AS bigint[]), CAST(:job_version AS integer[]),
                CAST(:scheduled_for AS timestamptz[]), CAST(:trigger AS varchar[]),
                CAST(:status AS varchar[]), CAST(:reason AS varchar[]), CAST(:missed_count AS integer[]),
                CAST(:finished_at AS timestamptz[]))
         AS slot(job_id, owner_id, job_version, scheduled_for, trigger, status, reason, missed_count,
                 finished_at)
    ON CONFLICT (job_id, scheduled_for) WHERE trigger <> 'manual' DO NOTHING
    RETURNING id, scheduled_for, status
    """
).columns(id=BigInteger(), scheduled_for=UTCDateTime(), status=String())


def _postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def insert_log_lines(rows: Sequence[dict[str, Any]]) -> None:
    """Insert execution log lines (dicts of LOG_COLUMNS) in the open transaction."""
    if not rows:
        return
    if not _postgresql():
        # RETURNING makes SQLAlchemy batch the rows into multi-row INSERTs ("insertmanyvalues");
        # without it each line would be an INSERT of its own.
        db.session.execute(insert(_logs).returning(_logs.c.id), list(rows)).all()
        return
    driver = db.session.connection().connection.driver_connection
    assert driver is not None
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY execution_logs ({', '.join(LOG_COLUMNS)}) FROM STDIN") as copy,
    ):
        for row in rows:
            data = row.get("data")
            copy.write_row(
                (
                    row["execution_id"],
                    row["attempt"],
                    row["timestamp"],
                    row["level"],
                    row["message"],
                    None if data is None else json.dumps(data),
                )
            )


def insert_slots(rows: Sequence[dict[str, Any]]) -> list[tuple[int, datetime, str]]:
    """Insert slot rows (dicts of SLOT_COLUMNS), skipping slots that already have a row (the unique
    key on job and `scheduled_for`); the (id, scheduled_for, status) of the rows inserted."""
    if not rows:
        return []
    stamp = utcnow()
    if _postgresql():
        arrays = {column: [row.get(column) for row in rows] for column in SLOT_COLUMNS}
        result = db.session.execute(_INSERT_SLOTS, {**arrays, "stamp": stamp})
        return [(row.id, row.scheduled_for, row.status) for row in result]
    values: list[dict[str, Any]] = [
        {
            **{column: row.get(column) for column in SLOT_COLUMNS},
            "attempt": 0,
            "attempts": [],
            "created_at": stamp,
            "updated_at": stamp,
        }
        for row in rows
    ]
    statement = (
        insert_for_dialect(_executions)
        .on_conflict_do_nothing(
            index_elements=["job_id", "scheduled_for"], index_where=text("trigger <> 'manual'")
        )
        .returning(_executions.c.id, _executions.c.scheduled_for, _executions.c.status)
    )
    result = db.session.connection().execute(statement, values)
    return [(row.id, row.scheduled_for, row.status) for row in result]
