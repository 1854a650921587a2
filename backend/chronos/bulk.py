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
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    Integer,
    String,
    all_,
    any_,
    bindparam,
    case,
    func,
    insert,
    literal,
    text,
    update,
)

from .extensions import db
from .models import SLOT_INDEX_WHERE, Execution, ExecutionLog, Job, UTCDateTime, insert_for_dialect, utcnow

_executions = Execution.__table__
_logs = ExecutionLog.__table__
_jobs = Job.__table__

LOG_COLUMNS = ("execution_id", "attempt", "timestamp", "level", "message", "data")
SLOT_COLUMNS = (
    "job_id",
    "owner_id",
    "workspace_id",
    "job_version",
    "scheduled_for",
    "trigger",
    "status",
    "reason",
    "missed_count",
    "finished_at",
)

_INSERT_SLOTS = text(
    f"""
    INSERT INTO executions (job_id, owner_id, workspace_id, job_version, scheduled_for, trigger, status,
                            reason, missed_count, finished_at, attempt, attempts, created_at, updated_at)
    SELECT job_id, owner_id, workspace_id, job_version, scheduled_for, trigger, status, reason,
           missed_count, finished_at, 0, CAST('[]' AS json), :stamp, :stamp
    FROM unnest(CAST(:job_id AS bigint[]), CAST(:owner_id AS bigint[]), CAST(:workspace_id AS bigint[]),
                CAST(:job_version AS integer[]), CAST(:scheduled_for AS timestamptz[]),
                CAST(:trigger AS varchar[]), CAST(:status AS varchar[]), CAST(:reason AS varchar[]),
                CAST(:missed_count AS integer[]), CAST(:finished_at AS timestamptz[]))
         AS slot(job_id, owner_id, workspace_id, job_version, scheduled_for, trigger, status, reason,
                 missed_count, finished_at)
    ON CONFLICT (job_id, scheduled_for) WHERE {SLOT_INDEX_WHERE} DO NOTHING
    RETURNING id, scheduled_for, status
    """
).columns(id=BigInteger(), scheduled_for=UTCDateTime(), status=String())


def _postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def among(column: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    """`column IN (ids)` for a column of ids, as the same statement whatever the number of ids.

    An `IN` list is a new statement text for every length, which psycopg converts anew (no cache
    hit) and PostgreSQL plans anew; the engine's hot statements take lists of every length. On
    PostgreSQL the ids travel as one array parameter (`= ANY`); SQLite keeps `IN`.
    """
    values = sorted(set(ids))
    if _postgresql():
        return column == any_(bindparam(None, values, type_=ARRAY(BigInteger)))  # type: ignore[no-any-return]
    return column.in_(values)  # type: ignore[no-any-return]


def not_among(column: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    """`column NOT IN (ids)`, as `among` (true for every row when there are no ids)."""
    values = sorted(set(ids))
    if _postgresql():
        return column != all_(bindparam(None, values, type_=ARRAY(BigInteger)))  # type: ignore[no-any-return]
    return column.not_in(values)  # type: ignore[no-any-return]


def insert_log_lines(rows: Sequence[dict[str, Any]]) -> None:
    """Insert execution log lines (dicts of LOG_COLUMNS) in the open transaction."""
    insert_rows(_logs, rows, LOG_COLUMNS)


def insert_rows(table: Any, rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> None:
    """Insert rows (dicts of `columns`, by default the first row's keys; JSON columns as Python values)
    into `table` in the open transaction: `COPY` on PostgreSQL (one short statement whatever the
    rows); on SQLite multi-row INSERTs. For writes nobody reads back in the same transaction (log
    lines, a batch's versions and audit events)."""
    if not rows:
        return
    names = list(columns or rows[0])
    if not _postgresql():
        # RETURNING makes SQLAlchemy batch the rows into multi-row INSERTs ("insertmanyvalues");
        # without it each row would be an INSERT of its own.
        db.session.execute(
            insert(table).returning(table.c.id), [{name: row.get(name) for name in names} for row in rows]
        ).all()
        return
    as_json = {name for name in names if isinstance(table.c[name].type, JSON)}
    driver = db.session.connection().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                tuple(
                    json.dumps(row.get(name))
                    if name in as_json and row.get(name) is not None
                    else row.get(name)
                    for name in names
                )
            )


def _column_default(column: Any) -> Any:
    default = column.default
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg


def reserve_job_ids(jobs: Sequence[Job]) -> None:
    """Give new jobs their ids before they are inserted (a job's id seeds its jitter, so its first
    run is computed with it). PostgreSQL takes them from the sequence in one statement; SQLite
    inserts the rows now (the ORM updates them with what follows)."""
    new = [job for job in jobs if job.id is None]
    if not new:
        return
    if not _postgresql():
        db.session.add_all(new)
        db.session.flush()
        return
    ids = sorted(
        db.session.scalars(
            text("SELECT nextval(pg_get_serial_sequence('jobs', 'id')) FROM generate_series(1, :n)"),
            {"n": len(new)},
        ).all()
    )
    for job, id_ in zip(new, ids, strict=True):
        job.id = id_


def insert_jobs(jobs: Sequence[Job]) -> None:
    """Insert new jobs (ids reserved, first slot computed) in the open transaction.

    On PostgreSQL every column travels as one array through `unnest`: one short statement for a
    thousand jobs (the ORM's multi-row `VALUES` for the same thousand cost about half a second,
    mostly in building and parsing the statement). The column defaults the ORM would apply are
    applied here, to the objects too, so they serialize as stored. SQLite takes them through the ORM.
    """
    if not jobs:
        return
    if not _postgresql():
        db.session.add_all(jobs)
        db.session.flush()
        return
    reserve_job_ids(jobs)
    dialect = db.engine.dialect
    arrays: dict[str, list[Any]] = {}
    casts = []
    for column in _jobs.columns:
        values = []
        for job in jobs:
            value = getattr(job, column.key)
            if value is None and column.default is not None:
                value = _column_default(column)
                setattr(job, column.key, value)
            values.append(value)
        if isinstance(column.type, JSON):
            values = [json.dumps(value) for value in values]
        arrays[column.key] = values
        casts.append(f"CAST(:{column.key} AS {column.type.compile(dialect)}[])")
    names = ", ".join(arrays)
    db.session.execute(text(f"INSERT INTO jobs ({names}) SELECT * FROM unnest({', '.join(casts)})"), arrays)


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
            index_elements=["job_id", "scheduled_for"], index_where=text(SLOT_INDEX_WHERE)
        )
        .returning(_executions.c.id, _executions.c.scheduled_for, _executions.c.status)
    )
    result = db.session.connection().execute(statement, values)
    return [(row.id, row.scheduled_for, row.status) for row in result]


# The result of an attempt, written only while its row is still `running` at that attempt: a late
# write (lease expired, replaced, put back) changes nothing.
_RECORD_ATTEMPTS = text(
    """
    UPDATE executions SET status = result.status, started_at = result.started_at,
           finished_at = result.finished_at, duration_ms = result.duration_ms,
           next_attempt_at = result.next_attempt_at, result = result.result,
           error = result.error, attempts = result.attempts, lease_expires_at = NULL,
           updated_at = :now
    FROM json_to_recordset(CAST(:results AS json))
         AS result(id bigint, attempt integer, status varchar, started_at timestamptz,
                   finished_at timestamptz, duration_ms integer, next_attempt_at timestamptz,
                   result json, error text, attempts json)
    WHERE executions.id = result.id AND executions.attempt = result.attempt
      AND executions.status = 'running'
    """
)


def _iso(value: datetime | None) -> str | None:
    """An aware instant as JSON text for a `timestamptz` (as UTCDateTime, a naive one is refused)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.isoformat()


# A job's last run; a one-time job whose run ended is completed. Rows are locked in id order
# first, so two batches touching the same jobs cannot deadlock.
_RECORD_JOB_RUNS = text(
    """
    WITH locked AS (SELECT id FROM jobs WHERE id = ANY(CAST(:job_id AS bigint[])) ORDER BY id FOR UPDATE)
    UPDATE jobs SET last_run_at = run.last_run_at,
           last_status = COALESCE(run.last_status, jobs.last_status),
           status = CASE WHEN run.complete THEN 'completed' ELSE jobs.status END
    FROM unnest(CAST(:job_id AS bigint[]), CAST(:last_run_at AS timestamptz[]),
                CAST(:last_status AS varchar[]), CAST(:complete AS boolean[]))
         AS run(job_id, last_run_at, last_status, complete)
    WHERE jobs.id = run.job_id AND jobs.id IN (SELECT id FROM locked)
    """
)


def record_attempt_results(writes: Sequence[dict[str, Any]]) -> None:
    """Write finished attempts (dicts of b_id, b_attempt, b_status, b_started_at, b_finished_at,
    b_duration_ms, b_next_attempt_at, b_result, b_error, b_attempts, b_now) in one statement."""
    if not writes:
        return
    if _postgresql():
        # The rows travel as one JSON document, results and attempt histories nested in it: one
        # encoding of the whole chunk (json's C encoder) instead of ten arrays dumped element by
        # element and a JSON text per value.
        results = [
            {
                "id": w["b_id"],
                "attempt": w["b_attempt"],
                "status": w["b_status"],
                "started_at": _iso(w["b_started_at"]),
                "finished_at": _iso(w["b_finished_at"]),
                "duration_ms": w["b_duration_ms"],
                "next_attempt_at": _iso(w["b_next_attempt_at"]),
                "result": w["b_result"],
                "error": w["b_error"],
                "attempts": w["b_attempts"],
            }
            for w in writes
        ]
        db.session.execute(_RECORD_ATTEMPTS, {"results": json.dumps(results), "now": writes[0]["b_now"]})
        return
    db.session.execute(
        update(_executions)
        .where(
            _executions.c.id == bindparam("b_id"),
            _executions.c.attempt == bindparam("b_attempt"),
            _executions.c.status == "running",
        )
        .values(
            status=bindparam("b_status", type_=String()),
            started_at=bindparam("b_started_at", type_=UTCDateTime()),
            finished_at=bindparam("b_finished_at", type_=UTCDateTime()),
            duration_ms=bindparam("b_duration_ms", type_=Integer()),
            next_attempt_at=bindparam("b_next_attempt_at", type_=UTCDateTime()),
            result=bindparam("b_result", type_=JSON()),
            error=bindparam("b_error", type_=String()),
            attempts=bindparam("b_attempts", type_=JSON()),
            lease_expires_at=None,
            updated_at=bindparam("b_now", type_=UTCDateTime()),
        ),
        list(writes),
    )


def record_job_runs(runs: Sequence[dict[str, Any]]) -> None:
    """Record jobs' last runs (dicts of b_job_id, b_last_run_at, b_last_status, b_complete)."""
    if not runs:
        return
    ordered = sorted(runs, key=lambda run: run["b_job_id"])
    if _postgresql():
        db.session.execute(
            _RECORD_JOB_RUNS,
            {
                "job_id": [run["b_job_id"] for run in ordered],
                "last_run_at": [run["b_last_run_at"] for run in ordered],
                "last_status": [run["b_last_status"] for run in ordered],
                "complete": [bool(run["b_complete"]) for run in ordered],
            },
        )
        return
    # In job id order, so concurrent batches touching the same jobs cannot deadlock.
    db.session.execute(
        update(_jobs)
        .where(_jobs.c.id == bindparam("b_job_id"))
        .values(
            last_run_at=bindparam("b_last_run_at", type_=UTCDateTime()),
            last_status=func.coalesce(bindparam("b_last_status", type_=String()), _jobs.c.last_status),
            status=case(
                (bindparam("b_complete", type_=Boolean()), literal("completed")), else_=_jobs.c.status
            ),
        ),
        list(ordered),
    )
