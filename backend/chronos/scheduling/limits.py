"""Limits on what may start: a backfill's `max_concurrency`, and a concurrency key's limit and rate.

An execution held back by a limit is `waiting`, with a reason naming what it waits for (`backfill`,
or `concurrency_key:<key>`). It does not fail and is not late for the misfire policy: it starts, in
order (oldest `scheduled_for` first), as soon as the limit has room.

The claim decides, in the database. While it decides it holds a row lock on each limit it touches —
the backfill row, or the workspace's `ConcurrencyLimit` row for the key (`FOR UPDATE` on PostgreSQL; on
SQLite the claim already holds the single write lock) — and counts the running executions with that
lock held, so two consumers never both take the last place. Whoever may start is the oldest of the
claimed rows *and the rows already waiting*: a claimed row younger than a waiting one waits behind
it, and the waiting one is queued (`Admission.queue`). When a running execution of a limit finishes,
the executor queues the oldest waiting ones (`waiting_to_queue`), and the safety sync does the same
for every limit with room, so nothing waits forever after a crash. Queueing a waiting row is only a
nudge: the claim admits it or not.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select

from ..extensions import db
from ..models import Backfill, ConcurrencyLimit, Execution, Job

BACKFILL_REASON = "backfill"
KEY_REASON_PREFIX = "concurrency_key:"
# Waiting rows queued per limit and pass, at most (the claim takes them a batch at a time).
MAX_QUEUED = 500


def key_reason(key: str) -> str:
    """The `reason` of an execution waiting for a concurrency key's room."""
    return f"{KEY_REASON_PREFIX}{key}"


def waited(reason: str | None) -> bool:
    """Whether a row with this reason was held back by a limit (so it is never late)."""
    return reason == BACKFILL_REASON or (reason or "").startswith(KEY_REASON_PREFIX)


@dataclass(frozen=True)
class Candidate:
    """A claimed execution, with what decides the limits it is under."""

    id: int
    scheduled_for: datetime
    backfill_id: int | None
    workspace_id: int
    key: str | None


@dataclass
class Admission:
    """What the limits decided about a claim: who waits (id → reason), and waiting rows to queue."""

    held: dict[int, str] = field(default_factory=dict)
    queue: list[tuple[int, datetime]] = field(default_factory=list)


def admit(runs: list[Candidate], settled: list[Candidate], now: datetime) -> Admission:
    """Decide which claimed rows start now and which wait, under every limit they are under.

    `runs` are the claimed rows about to start; `settled` the claimed rows that will not (skipped,
    cancelled): they take no place, but their limits' waiting rows may now have room. Call it with
    the claim's transaction open; it locks the limits' rows until that transaction ends.
    """
    admission = Admission()
    gated = [c for c in [*runs, *settled] if c.backfill_id is not None or c.key is not None]
    if not gated:
        return admission
    claimed_ids = [c.id for c in [*runs, *settled]]

    backfill_ids = sorted({c.backfill_id for c in gated if c.backfill_id is not None})
    if backfill_ids:
        limits = {
            row.id: row.max_concurrency
            for row in db.session.execute(
                select(Backfill.id, Backfill.max_concurrency)
                .where(Backfill.id.in_(backfill_ids))
                .order_by(Backfill.id)
                .with_for_update()
            )
        }
        for backfill_id in backfill_ids:
            running = _count_running(Execution.backfill_id == backfill_id, claimed_ids)
            room = max(0, limits.get(backfill_id, 1) - running)
            contenders = [c for c in runs if c.backfill_id == backfill_id]
            waiting = _oldest_waiting(Execution.backfill_id == backfill_id, claimed_ids, room)
            _decide(admission, contenders, waiting, room, room, BACKFILL_REASON, now)

    keys = sorted({(c.workspace_id, c.key) for c in gated if c.key is not None})
    if keys:
        rows = db.session.scalars(
            select(ConcurrencyLimit)
            .where(
                or_(*(and_(ConcurrencyLimit.workspace_id == o, ConcurrencyLimit.key == k) for o, k in keys))
            )
            .order_by(ConcurrencyLimit.id)
            .with_for_update()
        ).all()
        for limit in rows:
            of_key = and_(Job.workspace_id == limit.workspace_id, Job.concurrency_key == limit.key)
            running = _count_running(of_key, claimed_ids)
            room = max(0, limit.max_running - running)
            starts = room if limit.per_second is None else min(room, _refill(limit, now))
            contenders = [
                c
                for c in runs
                if c.id not in admission.held and (c.workspace_id, c.key) == (limit.workspace_id, limit.key)
            ]
            waiting = _oldest_waiting(of_key, claimed_ids, room)
            started, chosen = _decide(
                admission, contenders, waiting, room, starts, key_reason(limit.key), now
            )
            if limit.per_second is not None:
                limit.tokens -= started
                order = sorted([*((c.scheduled_for, c.id) for c in contenders), *waiting])
                if starts < room and len(order) > chosen:
                    # The rate holds the next one back: it is queued for when its token is there.
                    wait = max(0.0, 1.0 - limit.tokens) / float(limit.per_second)
                    admission.queue.append((order[chosen][1], now + timedelta(seconds=wait)))
    return admission


def _refill(limit: ConcurrencyLimit, now: datetime) -> int:
    """Top up the key's token bucket to now; how many starts it allows (whole tokens)."""
    rate = float(limit.per_second or 0)
    capacity = max(1.0, rate)
    elapsed = max(0.0, (now - limit.refilled_at).total_seconds()) if limit.refilled_at else capacity / rate
    limit.tokens = min(capacity, float(limit.tokens) + elapsed * rate)
    limit.refilled_at = now
    return math.floor(limit.tokens)


def _decide(
    admission: Admission,
    contenders: list[Candidate],
    waiting: list[tuple[datetime, int]],
    room: int,
    starts: int,
    reason: str,
    now: datetime,
) -> tuple[int, int]:
    """The oldest `starts` of the claimed and the waiting rows may start: claimed rows beyond them
    wait (with `reason`), waiting rows among them are queued. How many claimed rows start, and how
    many rows were chosen in all."""
    order = sorted([*((c.scheduled_for, c.id) for c in contenders), *waiting])
    chosen = {row_id for _, row_id in order[: min(room, starts)]}
    waiting_ids = {row_id for _, row_id in waiting}
    started = 0
    for c in contenders:
        if c.id in chosen:
            started += 1
        else:
            admission.held[c.id] = reason
    admission.queue.extend((row_id, now) for row_id in sorted(chosen & waiting_ids))
    return started, len(chosen)


def _count_running(condition: ColumnElement[bool], exclude: list[int]) -> int:
    return int(
        db.session.scalar(
            select(func.count(Execution.id))
            .join(Job, Job.id == Execution.job_id)
            .where(condition, Execution.status == "running", Execution.id.not_in(exclude))
        )
        or 0
    )


def _oldest_waiting(
    condition: ColumnElement[bool], exclude: list[int], limit: int
) -> list[tuple[datetime, int]]:
    if limit <= 0:
        return []
    rows = db.session.execute(
        select(Execution.scheduled_for, Execution.id)
        .join(Job, Job.id == Execution.job_id)
        .where(condition, Execution.status == "waiting", Execution.id.not_in(exclude))
        .order_by(Execution.scheduled_for, Execution.id)
        .limit(limit)
    ).all()
    return [(row.scheduled_for, row.id) for row in rows]


def waiting_to_queue(
    backfill_ids: Iterable[int], keys: Iterable[tuple[int, str]], now: datetime
) -> list[tuple[int, datetime]]:
    """The oldest waiting executions of these limits that have room now (read only: the claim decides)."""
    queue: list[tuple[int, datetime]] = []
    for backfill_id in sorted(set(backfill_ids)):
        limit = db.session.scalar(select(Backfill.max_concurrency).where(Backfill.id == backfill_id))
        condition = Execution.backfill_id == backfill_id
        room = max(0, (limit or 1) - _count_running(condition, []))
        queue.extend((row_id, now) for _, row_id in _oldest_waiting(condition, [], min(room, MAX_QUEUED)))
    for workspace_id, key in sorted(set(keys)):
        limit_row = ConcurrencyLimit.owned(key, workspace_id)
        of_key = and_(Job.workspace_id == workspace_id, Job.concurrency_key == key)
        room = MAX_QUEUED
        if limit_row is not None:
            room = max(0, limit_row.max_running - _count_running(of_key, []))
        queue.extend((row_id, now) for _, row_id in _oldest_waiting(of_key, [], min(room, MAX_QUEUED)))
    return queue


def waiting_with_room(now: datetime) -> list[tuple[int, datetime]]:
    """Every limit's oldest waiting executions that have room (the safety sync queues them).

    A row whose limit is gone (the key's limit deleted, the job's key removed) is queued as well.
    """
    backfill_ids = db.session.scalars(
        select(Execution.backfill_id)
        .where(Execution.status == "waiting", Execution.backfill_id.is_not(None))
        .distinct()
    ).all()
    keys = [
        (row.workspace_id, row.concurrency_key)
        for row in db.session.execute(
            select(Job.workspace_id, Job.concurrency_key)
            .join(Execution, Execution.job_id == Job.id)
            .where(Execution.status == "waiting", Job.concurrency_key.is_not(None))
            .distinct()
        )
    ]
    free = db.session.scalars(
        select(Execution.id)
        .join(Job, Job.id == Execution.job_id)
        .where(Execution.status == "waiting", Execution.backfill_id.is_(None), Job.concurrency_key.is_(None))
        .order_by(Execution.scheduled_for, Execution.id)
        .limit(MAX_QUEUED)
    ).all()
    queue = waiting_to_queue([b for b in backfill_ids if b is not None], keys, now)
    return [*queue, *((row_id, now) for row_id in free)]


# --- the limits themselves ------------------------------------------------------------------------


def set_limit(workspace_id: int, key: str, max_running: int, per_second: float | None) -> ConcurrencyLimit:
    """Create or change the workspace's limit for a key (no commit); the rate's bucket starts full."""
    limit = ConcurrencyLimit.owned(key, workspace_id)
    if limit is None:
        limit = ConcurrencyLimit(workspace_id=workspace_id, key=key, tokens=1.0)
        db.session.add(limit)
    limit.max_running = max_running
    limit.per_second = per_second
    limit.refilled_at = None
    return limit


@dataclass
class Usage:
    """A limit with how many executions of its key run and wait now."""

    limit: ConcurrencyLimit
    running: int
    waiting: int

    def __getattr__(self, name: str) -> object:  # the limit's own fields, for the schema
        return getattr(self.limit, name)


def usage(limits: Iterable[ConcurrencyLimit]) -> list[Usage]:
    """Each limit with its key's running and waiting executions."""
    rows = list(limits)
    counts: dict[tuple[int, str | None, str], int] = {}
    if rows:
        for workspace_id, key, status, count in db.session.execute(
            select(Job.workspace_id, Job.concurrency_key, Execution.status, func.count())
            .join(Execution, Execution.job_id == Job.id)
            .where(
                Job.workspace_id.in_({row.workspace_id for row in rows}),
                Job.concurrency_key.in_([row.key for row in rows]),
                Execution.status.in_(("running", "waiting")),
            )
            .group_by(Job.workspace_id, Job.concurrency_key, Execution.status)
        ):
            counts[(workspace_id, key, status)] = count
    return [
        Usage(
            row,
            counts.get((row.workspace_id, row.key, "running"), 0),
            counts.get((row.workspace_id, row.key, "waiting"), 0),
        )
        for row in rows
    ]
