"""The executor: claim executions, run their handlers, record each attempt, retry or finish.

Slots due at the same instant arrive as one batch of ids and are handled as one: one claim
statement, every call made concurrently on one event loop, one write of all the results. The
execution row is the only guard: the claim moves rows from `pending`/`retrying` to `running` and
bumps `attempt`, so a duplicate delivery finds nothing to claim, and a result is written only
while the row is still `running` at the same attempt, so a late write from an attempt that was
given up on (lease expired, replaced, put back on shutdown) is refused.

The executor touches only rows: what it leaves for the queue (retries, rows not yet due, failure
and recovery notices) it returns as `FollowUps`, and `tasks.py` queues them after the commit.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    bindparam,
    case,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError

from . import bulk, masking, metrics
from .extensions import db
from .handlers import Call, Outcome
from .handlers.batch import Done, stream_batch
from .models import Execution, ExecutionLog, Job, UTCDateTime, db_now, utcnow
from .scheduling import dependencies, limits, misfire

log = logging.getLogger(__name__)

# Which consumer holds a claim; `worker.py` sets it once per consumer (before any fork).
worker_name = f"{socket.gethostname()}:{os.getpid()}"
# A batch delivered earlier than this before its due time is put back on the schedule instead
# of holding a worker thread while it waits.
MAX_WAIT_SECONDS = 2.0
# A slot this close to its due time counts as due (clock jitter between Huey and the database).
DUE_TOLERANCE = timedelta(milliseconds=20)
RUNNABLE = ("pending", "retrying")
# Runs a user asked for: they run even when the job is paused.
USER_TRIGGERS = ("manual", "rerun")
# What a task may claim of its own ids: rows held back by a limit are queued again when it has room.
CLAIMABLE = (*RUNNABLE, "waiting")
# What running a job's slot reads of the job (its rules and its call).
RUN_COLUMNS = (
    Job.id,
    Job.name,
    Job.status,
    Job.version,
    Job.schedule_version,
    Job.schedule_type,
    Job.handler,
    Job.target,
    Job.payload,
    Job.signing_secret,
    Job.timeout_seconds,
    Job.max_retries,
    Job.retry_backoff_seconds,
    Job.retry_on_client_error,
    Job.overlap_policy,
    Job.misfire_policy,
    Job.last_status,
    Job.workspace_id,
    Job.concurrency_key,
)
# One claim takes at most this many rows (its own ids, plus other slots of its window).
CLAIM_LIMIT = 500

_executions = Execution.__table__
_jobs = Job.__table__
_logs = ExecutionLog.__table__


@dataclass
class Attempt:
    """One claimed execution and, once run, what its attempt came to."""

    id: int
    job_id: int
    attempt: int
    scheduled_for: datetime
    trigger: str
    job_version: int
    attempts: list[dict[str, Any]]
    started_at: datetime
    finished_at: datetime | None = None
    outcome: Outcome | None = None
    logs: list[dict[str, Any]] = field(default_factory=list)
    # The credential values of the job's target: never stored in a result, error or log line.
    secrets: frozenset[str] = frozenset()
    # This run's own payload (None: the job's) and the upstream executions that caused it.
    payload: Any = None
    upstream_execution_ids: list[int] = field(default_factory=list)
    # The backfill it belongs to, and whether a limit held it back before (it is never late then).
    backfill_id: int | None = None
    waited: bool = False

    def log(self, level: str, message: str, data: dict[str, Any] | None = None) -> None:
        """Buffer a log line of this attempt; all lines are written with the result."""
        self.logs.append(
            {
                "execution_id": self.id,
                "attempt": self.attempt,
                "timestamp": utcnow(),
                "level": level,
                "message": message,
                "data": data,
            }
        )

    @property
    def first_run(self) -> bool:
        """This is the slot's first real attempt: any earlier one was given back by a worker that
        stopped before it finished (and does not count)."""
        interrupted = sum(1 for record in self.attempts if record.get("status") == "interrupted")
        return self.attempt - interrupted == 1

    def mask_credentials(self) -> None:
        """Mask credentials in what is about to be stored, whatever the handler put there."""
        if self.outcome is not None:
            if self.outcome.error:
                self.outcome.error = masking.scrub(self.outcome.error, self.secrets)
            if self.outcome.result is not None:
                self.outcome.result = masking.scrub_data(self.outcome.result, self.secrets)
        for line in self.logs:
            line["message"] = masking.scrub(line["message"], self.secrets)
            if line["data"] is not None:
                line["data"] = masking.scrub_data(line["data"], self.secrets)


@dataclass
class JobPolicy:
    """The job fields deciding what happens after an attempt, read while the claim is held."""

    id: int
    handler: str
    schedule_type: str
    max_retries: int
    retry_backoff_seconds: list[int]
    last_status: str | None
    workspace_id: int | None = None
    concurrency_key: str | None = None


@dataclass
class FollowUps:
    """What a step of the engine leaves for the queue, to be queued once its rows are committed."""

    # Executions to queue, each for the time it is due: retries, and rows delivered too early.
    runs: list[tuple[int, datetime]] = field(default_factory=list)
    # Executions that finally failed (failure notices) or succeeded after a failure (recovery notices).
    failed: list[int] = field(default_factory=list)
    recovered: list[int] = field(default_factory=list)

    def extend(self, other: FollowUps) -> None:
        """Add another step's follow-ups to these."""
        self.runs.extend(other.runs)
        self.failed.extend(other.failed)
        self.recovered.extend(other.recovered)


# --- the batch --------------------------------------------------------------------------------


def run_executions(ids: list[int], window_start: datetime | None = None) -> FollowUps:
    """Claim, run and record the executions of one dispatch window (a Huey task; safe to deliver twice).

    The task arrives a moment before its window opens. It claims, in one statement, its own rows
    that are due by then and every other pending slot of the window, hands the calls to the
    process's event loop — each leaves at its own instant — and records the attempts in small
    set-based writes as they finish, not once the whole window is done.
    """
    ids = sorted(set(ids))
    followups = FollowUps()
    if not ids and window_start is None:
        return followups
    rows = db.session.execute(
        select(Execution.id, Execution.status, Execution.scheduled_for, Execution.next_attempt_at).where(
            bulk.among(Execution.id, ids), Execution.status.in_(CLAIMABLE)
        )
    ).all()
    if not rows and window_start is None:  # a duplicate delivery, or another task took these
        db.session.rollback()
        return followups
    clock = _Clock(db_now())
    db.session.rollback()  # end the read: nothing may be held while waiting
    due = {
        row.id: (
            row.next_attempt_at if row.status == "retrying" and row.next_attempt_at else row.scheduled_for
        )
        for row in rows
    }
    start = window_start or min(due.values())
    now = clock.now()
    if start - now > timedelta(seconds=MAX_WAIT_SECONDS):
        # Delivered long before its window (a clock or queue hiccup): back on the schedule.
        followups.runs.extend(due.items())
        return followups
    window = timedelta(seconds=float(current_app.config["DISPATCH_WINDOW_SECONDS"]))
    end = start + window
    # Own rows due by the window's end (or already overdue) are claimed now; later ones wait.
    horizon = max(end, now) + DUE_TOLERANCE
    followups.runs.extend((row_id, when) for row_id, when in due.items() if when > horizon)
    claimed, jobs = claim_executions(ids, now, (start, end), horizon, released=followups.runs)
    if not claimed:
        db.session.commit()
        return followups
    calls = [_make_call(attempt, jobs[attempt.job_id]) for attempt in claimed]
    policies = {job.id: job_policy(job) for job in jobs.values()}
    db.session.commit()

    leave_at = [clock.monotonic(due.get(attempt.id, attempt.scheduled_for)) for attempt in claimed]
    for chunk in _run_calls(calls, leave_at):
        finished = []
        for done in chunk:
            attempt = claimed[done.index]
            attempt.outcome = done.outcome
            attempt.started_at = clock.at(done.started)
            attempt.finished_at = clock.at(done.finished)
            finished.append(attempt)
        followups.extend(record_attempts(finished, policies, clock.now()))
    return followups


class _Clock:
    """The database's clock, read once and carried forward with the monotonic clock."""

    def __init__(self, db_time: datetime) -> None:
        self.db_time = db_time
        self.mono = time.monotonic()

    def at(self, mono: float) -> datetime:
        return self.db_time + timedelta(seconds=mono - self.mono)

    def now(self) -> datetime:
        return self.at(time.monotonic())

    def monotonic(self, when: datetime) -> float:
        """The monotonic clock's reading at the database instant `when`."""
        return self.mono + (when - self.db_time).total_seconds()


def claim_executions(
    ids: list[int],
    now: datetime,
    window: tuple[datetime, datetime] | None = None,
    horizon: datetime | None = None,
    released: list[tuple[int, datetime]] | None = None,
) -> tuple[list[Attempt], dict[int, Any]]:
    """Move rows to `running` in one statement; settle paused, stale, overlapping and missed ones.

    It takes its own ids that are due by `horizon` (now, by default) and every other `pending`
    slot of `window` [start, end) (up to a batch): slots due close together are claimed and sent
    together, whoever planned them, and the other tasks of the window then find nothing to do.
    Rows over a backfill's or a concurrency key's limit are put back as `waiting`
    (scheduling/limits.py); waiting rows that may start instead are added to `released`.
    Returns the attempts to run and their jobs (loaded, in the open transaction).
    """
    grace = current_app.config["LEASE_GRACE_SECONDS"]
    limit = horizon or now + DUE_TOLERANCE
    own_due = or_(
        and_(Execution.status == "pending", Execution.scheduled_for <= limit),
        Execution.status == "waiting",
        and_(
            Execution.status == "retrying",
            or_(Execution.next_attempt_at.is_(None), Execution.next_attempt_at <= limit),
        ),
    )
    candidates: ColumnElement[bool] = and_(bulk.among(Execution.id, ids), own_due)
    if window is not None:
        candidates = or_(
            candidates,
            and_(
                Execution.status == "pending",
                Execution.scheduled_for >= window[0],
                Execution.scheduled_for < window[1],
            ),
        )
    timeouts = sorted(
        set(
            db.session.scalars(
                select(Job.timeout_seconds).join(Execution, Execution.job_id == Job.id).where(candidates)
            )
        )
    )
    if not timeouts:
        db.session.rollback()
        return [], {}
    # A lease covers the job's timeout plus a grace, counted from when the call may leave at the
    # latest (the window's end); past it, the safety sync takes the attempt as failed. (A row
    # planned after the read above gets the longest possible lease, never a short one.)
    leaves_by = max(limit, window[1] if window else now)
    job_timeout = select(Job.timeout_seconds).where(Job.id == Execution.job_id).scalar_subquery()
    longest = max(max(timeouts), int(current_app.config["MAX_TIMEOUT_SECONDS"]))
    lease = case(
        {t: literal(leaves_by + timedelta(seconds=t + grace), UTCDateTime) for t in timeouts},
        value=job_timeout,
        else_=literal(leaves_by + timedelta(seconds=longest + grace), UTCDateTime),
    )
    # Rows another claim holds are skipped (it is claiming them), so claims never wait on each
    # other and cannot deadlock; own ids first, then the same instant's other slots.
    own_first = case((bulk.among(Execution.id, ids), 0), else_=1)
    # A materialized CTE runs once; as a plain IN subquery PostgreSQL may re-run it per row and
    # its LIMIT would not hold.
    lockable = (
        select(Execution.id)
        .where(candidates, Execution.status.in_(CLAIMABLE))
        .order_by(own_first, Execution.id)
        .limit(max(len(ids), CLAIM_LIMIT))
        .with_for_update(skip_locked=True)
        .cte("claimable")
        .prefix_with("MATERIALIZED")
    )
    statement = (
        update(Execution)
        .where(Execution.id.in_(select(lockable.c.id)), Execution.status.in_(CLAIMABLE))
        .values(
            status="running",
            attempt=Execution.attempt + 1,
            started_at=now,
            finished_at=None,
            lease_expires_at=lease,
            worker=worker_name,
            next_attempt_at=None,
            updated_at=now,
        )
        .returning(
            Execution.id,
            Execution.job_id,
            Execution.attempt,
            Execution.scheduled_for,
            Execution.trigger,
            Execution.job_version,
            Execution.attempts,
            Execution.payload,
            Execution.upstream_execution_ids,
            Execution.backfill_id,
            Execution.reason,
        )
        .execution_options(synchronize_session=False)
    )
    claimed = [
        Attempt(
            id=row.id,
            job_id=row.job_id,
            attempt=row.attempt,
            scheduled_for=row.scheduled_for,
            trigger=row.trigger,
            job_version=row.job_version,
            attempts=list(row.attempts or []),
            started_at=now,
            payload=row.payload,
            upstream_execution_ids=list(row.upstream_execution_ids or []),
            backfill_id=row.backfill_id,
            waited=limits.waited(row.reason),
        )
        for row in db.session.execute(statement)
    ]
    if not claimed:
        db.session.commit()
        return [], {}
    claimed.sort(key=lambda a: a.id)
    job_ids = sorted({a.job_id for a in claimed})
    late_jobs = sorted({a.job_id for a in claimed if _is_missed(a, now)})
    # Jobs whose overlap policy looks at other runs are locked, so two claims cannot both miss each
    # other; so are jobs with a missed slot, so that the planner's catch-up slot for the same outage
    # (inserted under the same lock) is seen before deciding which missed slot runs.
    db.session.execute(
        select(Job.id)
        .where(bulk.among(Job.id, job_ids), or_(Job.overlap_policy != "allow", bulk.among(Job.id, late_jobs)))
        .order_by(Job.id)
        .with_for_update()
    )
    # Plain rows of the columns the run needs: ORM objects for a window's jobs cost more than its claim.
    jobs = {
        job.id: job for job in db.session.execute(select(*RUN_COLUMNS).where(bulk.among(Job.id, job_ids)))
    }
    newest_missed = misfire.newest_missed_slots(late_jobs, now)
    runs, settled = _settle(claimed, jobs, now, newest_missed)
    catch_ups = [a.id for a in runs if a.trigger == "catch_up"]
    if catch_ups:
        db.session.execute(
            update(Execution)
            .where(bulk.among(Execution.id, catch_ups))
            .values(trigger="catch_up")
            .execution_options(synchronize_session=False)
        )
    if settled:
        _write_settled(settled, now)
    runs = _admit(runs, settled, jobs, now, released)
    return runs, jobs


def _admit(
    runs: list[Attempt],
    settled: list[tuple[Attempt, str, str, str]],
    jobs: dict[int, Any],
    now: datetime,
    released: list[tuple[int, datetime]] | None,
) -> list[Attempt]:
    """Hold back the runs over a backfill's or a concurrency key's limit (`waiting`); the rest start.

    Waiting rows that may start now (older than the held ones, or freed by a settled row) are added
    to `released`, to be queued.
    """

    def candidate(a: Attempt) -> limits.Candidate:
        job = jobs[a.job_id]
        return limits.Candidate(a.id, a.scheduled_for, a.backfill_id, job.workspace_id, job.concurrency_key)

    admission = limits.admit([candidate(a) for a in runs], [candidate(s[0]) for s in settled], now)
    if released is not None:
        released.extend(admission.queue)
    if not admission.held:
        return runs
    held = [a for a in runs if a.id in admission.held]
    _write_waiting(held, admission.held, now)
    return [a for a in runs if a.id not in admission.held]


def _write_waiting(held: list[Attempt], reasons: dict[int, str], now: datetime) -> None:
    """Put claimed rows back as `waiting` (their claim never started anything: the attempt is handed back)."""
    db.session.execute(
        update(_executions)
        .where(
            _executions.c.id == bindparam("b_id"),
            _executions.c.attempt == bindparam("b_attempt"),
            _executions.c.status == "running",
        )
        .values(
            status="waiting",
            reason=bindparam("b_reason", type_=String()),
            attempt=bindparam("b_attempt", type_=Integer()) - 1,
            started_at=None,
            lease_expires_at=None,
            worker=None,
            updated_at=bindparam("b_now", type_=UTCDateTime()),
        ),
        [{"b_id": a.id, "b_attempt": a.attempt, "b_reason": reasons[a.id], "b_now": now} for a in held],
    )


def _is_missed(attempt: Attempt, now: datetime) -> bool:
    """A slot held back by a limit is not late: it waited its turn."""
    return not attempt.waited and misfire.is_missed(
        attempt.trigger, attempt.first_run, attempt.scheduled_for, now
    )


def _settle(
    claimed: list[Attempt], jobs: dict[int, Any], now: datetime, newest_missed: dict[int, datetime]
) -> tuple[list[Attempt], list[tuple[Attempt, str, str, str]]]:
    """Split claimed rows into those to run and those skipped or cancelled (with status and reason)."""
    watched = [job_id for job_id, job in jobs.items() if job.overlap_policy != "allow"]
    running: dict[int, list[int]] = {}
    if watched:
        claimed_ids = [a.id for a in claimed]
        for row in db.session.execute(
            select(Execution.id, Execution.job_id).where(
                bulk.among(Execution.job_id, watched),
                Execution.status == "running",
                bulk.not_among(Execution.id, claimed_ids),
            )
        ):
            running.setdefault(row.job_id, []).append(row.id)
    runs: list[Attempt] = []
    settled: list[tuple[Attempt, str, str, str]] = []
    started: set[int] = set()
    for attempt in claimed:
        job = jobs[attempt.job_id]
        # A run someone asked for (now, or again) runs whatever the job's state; a paused job's
        # slots and dependency runs do not; a dependency run is not a slot of the schedule.
        scheduled = attempt.trigger not in USER_TRIGGERS
        if scheduled and job.status == "paused":
            settled.append((attempt, "skipped", "paused", "The job is paused."))
            continue
        # Planned under an older schedule (a schedule edit since): stale. Other edits leave it be.
        if scheduled and attempt.trigger != "dependency" and attempt.job_version < job.schedule_version:
            settled.append(
                (attempt, "cancelled", "stale", "The job's schedule changed after this slot was planned.")
            )
            continue
        if _is_missed(attempt, now):
            if not misfire.runs_as_catch_up(
                job.misfire_policy, attempt.scheduled_for, newest_missed.get(job.id)
            ):
                late = int((now - attempt.scheduled_for).total_seconds())
                reason = (
                    f"Nothing ran this slot until {late} s after its time (misfire policy "
                    f"'{job.misfire_policy}')."
                )
                settled.append((attempt, "skipped", "missed", reason))
                continue
            attempt.trigger = "catch_up"
        # Overlap is about starting a new run; a retry continues its own run.
        if (
            attempt.first_run
            and job.overlap_policy == "forbid"
            and (running.get(job.id) or job.id in started)
        ):
            settled.append((attempt, "skipped", "overlap", "The previous run is still running."))
            continue
        if attempt.first_run and job.overlap_policy == "replace" and running.get(job.id):
            _cancel_replaced(running.pop(job.id), attempt.id, now)
        started.add(job.id)
        runs.append(attempt)
    return runs, settled


def _cancel_replaced(execution_ids: list[int], replacement: int, now: datetime) -> None:
    """Cancel running executions replaced by a new run; their workers' late writes are refused."""
    db.session.execute(
        update(Execution)
        .where(bulk.among(Execution.id, execution_ids), Execution.status == "running")
        .values(
            status="cancelled",
            reason="replaced",
            finished_at=now,
            lease_expires_at=None,
            error=f"Replaced by execution {replacement}.",
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    bulk.insert_log_lines(
        [
            {
                "execution_id": execution_id,
                "attempt": 0,
                "timestamp": utcnow(),
                "level": "warning",
                "message": f"Cancelled: replaced by execution {replacement} (overlap policy 'replace').",
                "data": None,
            }
            for execution_id in execution_ids
        ]
    )


def _write_settled(settled: list[tuple[Attempt, str, str, str]], now: datetime) -> None:
    """Record skipped/cancelled rows; the attempt they claimed never ran, so it is handed back."""
    statement = (
        update(_executions)
        .where(
            _executions.c.id == bindparam("b_id"),
            _executions.c.attempt == bindparam("b_attempt"),
            _executions.c.status == "running",
        )
        .values(
            status=bindparam("b_status", type_=String()),
            reason=bindparam("b_reason", type_=String()),
            error=bindparam("b_error", type_=String()),
            attempt=bindparam("b_attempt", type_=Integer()) - 1,
            started_at=None,  # nothing started: the claim's stamp is taken back too
            finished_at=bindparam("b_now", type_=UTCDateTime()),
            updated_at=bindparam("b_now", type_=UTCDateTime()),
            lease_expires_at=None,
        )
    )
    db.session.execute(
        statement,
        [
            {
                "b_id": a.id,
                "b_attempt": a.attempt,
                "b_status": status,
                "b_reason": reason,
                "b_error": message if status == "cancelled" else None,
                "b_now": now,
            }
            for a, status, reason, message in settled
        ],
    )
    bulk.insert_log_lines(
        [
            {
                "execution_id": a.id,
                "attempt": a.attempt - 1,
                "timestamp": utcnow(),
                "level": "info",
                "message": f"{status.capitalize()} ({reason}): {message}",
                "data": None,
            }
            for a, status, reason, message in settled
        ]
    )


def job_policy(job: Any) -> JobPolicy:
    """The parts of a job the executor needs once the job row is no longer in reach."""
    return JobPolicy(
        id=job.id,
        handler=job.handler,
        schedule_type=job.schedule_type,
        max_retries=job.max_retries,
        retry_backoff_seconds=list(job.retry_backoff_seconds or []),
        last_status=job.last_status,
        workspace_id=job.workspace_id,
        concurrency_key=job.concurrency_key,
    )


def _make_call(attempt: Attempt, job: Any) -> Call:
    attempt.secrets = frozenset(masking.target_secrets(job.target) | {job.signing_secret})
    return Call(
        execution_id=attempt.id,
        job_id=job.id,
        job_name=job.name,
        attempt=attempt.attempt,
        scheduled_for=attempt.scheduled_for,
        trigger=attempt.trigger,
        handler=job.handler,
        target=job.target,
        payload=job.payload if attempt.payload is None else attempt.payload,
        timeout_seconds=float(job.timeout_seconds),
        signing_secret=job.signing_secret,
        retry_on_client_error=job.retry_on_client_error,
        upstream_execution_ids=attempt.upstream_execution_ids,
        log=attempt.log,
    )


def _run_calls(calls: list[Call], due: list[float]) -> Iterator[list[Done]]:
    """Run the calls on the process's loop, each at its instant; their outcomes as they finish."""
    try:
        yield from stream_batch(calls, due)
    except Exception as exc:  # the batch machinery itself broke: every attempt fails, none is lost
        log.exception("Running a batch of %s calls failed.", len(calls))
        now = time.monotonic()
        yield [
            Done(index, Outcome(ok=False, error=f"Internal error running the handler: {exc}"), now, now)
            for index in range(len(calls))
        ]


def retry_delay(policy: JobPolicy, attempt: int, retry_after: float | None) -> float:
    """Seconds before the next attempt: the target's Retry-After (capped), else the job's backoff."""
    if retry_after is not None:
        return max(0.0, min(float(retry_after), float(current_app.config["RETRY_AFTER_CAP_SECONDS"])))
    backoff = policy.retry_backoff_seconds or [60]
    return float(backoff[min(attempt - 1, len(backoff) - 1)])


def record_attempts(attempts: list[Attempt], policies: dict[int, JobPolicy], now: datetime) -> FollowUps:
    """Write finished attempts in one transaction; the retries and notices it leaves for the queue.

    Used for attempts that ran and for attempts the safety sync gave up on (lease expired).
    """
    if not attempts:
        return FollowUps()
    for tries_left in (2, 1, 0):
        try:
            return _record_attempts(attempts, policies, now)
        except DBAPIError:
            # A dropped connection or a deadlock victim: the calls were made, so try to keep their
            # results; if it keeps failing, the leases expire and recovery retries the attempts.
            db.session.rollback()
            if not tries_left:
                raise
            log.warning("Recording %s attempt(s) failed; trying again.", len(attempts), exc_info=True)
            time.sleep(0.2)
    raise AssertionError("unreachable: the last try returns or raises")


def _record_attempts(attempts: list[Attempt], policies: dict[int, JobPolicy], now: datetime) -> FollowUps:
    ids = [a.id for a in attempts]
    # Still ours = still running at our attempt; everything else is a late write and is refused.
    # (Rows of a job deleted meanwhile are gone: neither their result nor their log lines stay.)
    existing = {
        row.id: row
        for row in db.session.execute(
            select(Execution.id, Execution.attempt, Execution.status)
            .where(bulk.among(Execution.id, ids))
            .order_by(Execution.id)
            .with_for_update()
        )
    }
    current = {row.id: row.attempt for row in existing.values() if row.status == "running"}
    writes: list[dict[str, Any]] = []
    retries: list[tuple[int, datetime]] = []
    failed: list[int] = []
    recovered: list[int] = []
    job_updates: dict[int, dict[str, Any]] = {}
    logs: list[dict[str, Any]] = []
    observed: list[tuple[Attempt, str, str]] = []
    finals: list[dependencies.Finished] = []
    for a in attempts:
        a.mask_credentials()
        if a.id in existing:
            logs.extend(a.logs)
        if current.get(a.id) != a.attempt:
            log.warning("Refused the late result of execution %s attempt %s.", a.id, a.attempt)
            continue
        outcome = a.outcome or Outcome(ok=False, error="No outcome recorded.")
        policy = policies[a.job_id]
        finished = a.finished_at or now
        duration_ms = max(0, int((finished - a.started_at).total_seconds() * 1000))
        next_attempt_at = None
        if outcome.ok:
            status = "succeeded"
        elif outcome.retryable and a.attempt <= policy.max_retries:
            status = "retrying"
            next_attempt_at = finished + timedelta(
                seconds=retry_delay(policy, a.attempt, outcome.retry_after)
            )
            retries.append((a.id, next_attempt_at))
            logs.append(
                {
                    "execution_id": a.id,
                    "attempt": a.attempt,
                    "timestamp": utcnow(),
                    "level": "warning",
                    "data": None,
                    "message": f"Attempt {a.attempt} failed: {outcome.error}; next attempt at "
                    f"{next_attempt_at.isoformat()}.",
                }
            )
        else:
            status = "failed"
            failed.append(a.id)
        if status != "retrying":
            finals.append(dependencies.Finished(a.id, a.job_id, status, outcome.result))
        if status == "succeeded" and policy.last_status == "failed":
            recovered.append(a.id)
        observed.append((a, policy.handler, status))
        result = outcome.result or {}
        record = {
            "attempt": a.attempt,
            "status": "succeeded" if outcome.ok else "failed",
            "started_at": a.started_at.isoformat(),
            "finished_at": finished.isoformat(),
            "duration_ms": duration_ms,
            "error": outcome.error,
            "http_status": result.get("http_status") if isinstance(result, dict) else None,
        }
        writes.append(
            {
                "b_id": a.id,
                "b_attempt": a.attempt,
                "b_status": status,
                "b_started_at": a.started_at,
                "b_finished_at": None if status == "retrying" else finished,
                "b_duration_ms": duration_ms,
                "b_next_attempt_at": next_attempt_at,
                "b_result": outcome.result,
                "b_error": outcome.error,
                "b_attempts": [*a.attempts, record],
                "b_now": now,
            }
        )
        # last_status names the last *finished* run (a retrying one keeps the previous), so a
        # success after a failure is seen as a recovery however many retries it took.
        job_updates[a.job_id] = {
            "b_job_id": a.job_id,
            "b_last_run_at": a.started_at,
            "b_last_status": None if status == "retrying" else status,
            "b_complete": status != "retrying"
            and a.trigger not in USER_TRIGGERS
            and policy.schedule_type == "once",
        }
    if writes:
        bulk.record_attempt_results(writes)
    if logs:
        bulk.insert_log_lines(logs)
    # In the same transaction as the final statuses: an upstream is never recorded as finished
    # without what it triggers (it locks the jobs involved, in id order, before record_job_runs).
    downstream = dependencies.trigger_downstream(finals, now)
    if job_updates:
        bulk.record_job_runs(list(job_updates.values()))
    # A finished run of a backfill or a concurrency key makes room: its oldest waiting rows are queued.
    recorded = [(a, policies[a.job_id]) for a, _handler, _status in observed]
    backfill_ids = {a.backfill_id for a, _ in recorded if a.backfill_id is not None}
    keys = {(p.workspace_id, p.concurrency_key) for _, p in recorded if p.concurrency_key and p.workspace_id}
    if backfill_ids or keys:
        retries.extend(limits.waiting_to_queue(backfill_ids, keys, now))
    db.session.commit()
    _observe(observed)
    return FollowUps(runs=[*retries, *downstream], failed=failed, recovered=recovered)


def _observe(observed: list[tuple[Attempt, str, str]]) -> None:
    """Log each recorded attempt with its execution id, and count it in the metrics."""
    try:
        for attempt, _handler, status in observed:
            ok = attempt.outcome is not None and attempt.outcome.ok
            ids = {"execution_id": attempt.id, "job_id": attempt.job_id, "attempt": attempt.attempt}
            if ok:
                log.info("Execution %s attempt %s succeeded.", attempt.id, attempt.attempt, extra=ids)
            else:
                error = attempt.outcome.error if attempt.outcome else None
                log.warning(
                    "Execution %s attempt %s failed (%s): %s",
                    attempt.id,
                    attempt.attempt,
                    status,
                    error,
                    extra=ids,
                )
        metrics.observe_attempts(
            [
                metrics.ObservedAttempt(
                    handler=handler,
                    status=status,
                    attempt=attempt.attempt,
                    ok=attempt.outcome is not None and attempt.outcome.ok,
                    scheduled_for=attempt.scheduled_for,
                    started_at=attempt.started_at,
                    finished_at=attempt.finished_at,
                    trigger=attempt.trigger,
                )
                for attempt, handler, status in observed
            ]
        )
    except Exception:  # a logging or metrics problem must never fail a recorded attempt
        log.debug("Could not record metrics.", exc_info=True)
