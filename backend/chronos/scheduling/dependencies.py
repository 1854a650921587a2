"""Dependencies: jobs that run after other jobs (`schedule_type: "after"`), their rules in one place.

A downstream job names its upstream jobs in `run_after` (`jobs`, `on`, `within_seconds`); the
names are also rows of `job_dependencies`, so "who runs after job X" is one indexed lookup.

When an upstream execution reaches a final status (`succeeded` or `failed`), the executor calls
`trigger_downstream` in the same transaction that records it. For each downstream job whose `on`
matches, one `dependency_triggers` row goes in with `ON CONFLICT DO NOTHING` on (upstream
execution, downstream job): however many consumers record or re-record that execution, it
triggers at most once. The row and the upstream's final status commit together, so an upstream
can never end up finished with its trigger lost (a consumer killed before the commit leaves the
upstream `running`; its lease expires and it runs again). A downstream run is created once every
listed upstream has a `waiting` row (within `within_seconds`, when given): it uses them all, and
its `upstream_execution_ids` name them. A paused downstream records the row as `dropped`: nothing
runs, and nothing is kept for later.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from .. import bulk
from ..extensions import db
from ..models import DependencyTrigger, Execution, Job, JobDependency, insert_for_dialect

# Which final statuses of an upstream satisfy each `on`.
QUALIFYING = {"success": ("succeeded",), "failure": ("failed",), "completion": ("succeeded", "failed")}
RUN_AFTER_ON = tuple(QUALIFYING)
# At most this many upstream jobs per downstream job.
MAX_UPSTREAMS = 20
# An upstream's result is passed on whole up to this size (compact JSON), as an excerpt beyond it.
RESULT_EXCERPT_BYTES = 1024

_triggers = DependencyTrigger.__table__


class DependencyError(Exception):
    """`run_after` names what it may not (another user's job, a cycle): a 422 on `run_after.<field>`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.index = 0  # which item of a batch, when creating many


@dataclass
class Finished:
    """An execution that just reached a final status, as the executor recorded it."""

    execution_id: int
    job_id: int
    status: str
    result: dict[str, Any] | None


# --- the graph -------------------------------------------------------------------------------------


def check_run_after(job: Job, workspace_id: int, run_after: dict[str, Any]) -> None:
    """Refuse a `run_after` naming jobs the workspace does not have, or closing a cycle."""
    wanted = list(dict.fromkeys(run_after["jobs"]))
    names = dict(
        db.session.execute(
            select(Job.id, Job.name).where(Job.id.in_(wanted), Job.workspace_id == workspace_id)
        ).all()
    )
    unknown = [job_id for job_id in wanted if job_id not in names and job_id != job.id]
    if unknown:
        raise DependencyError("jobs", f"No job {', '.join(map(str, unknown))} of yours to run after.")
    if job.id is None:
        return  # a new job has no dependants yet: it cannot close a cycle
    if job.id in wanted:
        raise DependencyError("jobs", f"A job cannot run after itself: {job.name} → {job.name}.")
    # A cycle: the job reaches one of its new upstreams by following who runs after whom.
    edges: dict[int, list[int]] = {}
    for upstream, downstream in db.session.execute(
        select(JobDependency.upstream_job_id, JobDependency.downstream_job_id)
        .join(Job, Job.id == JobDependency.downstream_job_id)
        .where(Job.workspace_id == workspace_id, JobDependency.downstream_job_id != job.id)
    ):
        edges.setdefault(upstream, []).append(downstream)
    came_from: dict[int, int] = {}
    frontier = [job.id]
    while frontier:
        current = frontier.pop()
        for nxt in edges.get(current, []):
            if nxt in came_from or nxt == job.id:
                continue
            came_from[nxt] = current
            if nxt in names:
                path = [nxt]
                while path[-1] != job.id:
                    path.append(came_from[path[-1]])
                path.reverse()
                cycle = [job.id, *path[1:], job.id]
                all_names = dict(db.session.execute(select(Job.id, Job.name).where(Job.id.in_(cycle))).all())
                all_names[job.id] = job.name
                words = " → ".join(all_names.get(i, str(i)) for i in cycle)
                raise DependencyError("jobs", f"This would make a cycle: {words}.")
            frontier.append(nxt)


def add_upstreams(jobs: Iterable[Job]) -> None:
    """The `job_dependencies` rows of new jobs (already inserted, with their ids)."""
    for job in jobs:
        if job.schedule_type == "after" and job.run_after:
            for upstream in sorted(set(job.run_after["jobs"])):
                db.session.add(JobDependency(downstream_job_id=job.id, upstream_job_id=upstream))
        else:
            job.run_after = None


def set_upstreams(job: Job) -> None:
    """Make the job's `job_dependencies` rows equal its `run_after.jobs` (none unless "after")."""
    db.session.flush()  # a new job needs its id
    wanted = set(job.run_after["jobs"]) if job.schedule_type == "after" and job.run_after else set()
    have = set(
        db.session.scalars(
            select(JobDependency.upstream_job_id).where(JobDependency.downstream_job_id == job.id)
        )
    )
    if have - wanted:
        db.session.execute(
            delete(JobDependency).where(
                JobDependency.downstream_job_id == job.id, JobDependency.upstream_job_id.in_(have - wanted)
            )
        )
    for upstream in sorted(wanted - have):
        db.session.add(JobDependency(downstream_job_id=job.id, upstream_job_id=upstream))
    if not wanted:
        job.run_after = None


def dependants(job: Job) -> list[Job]:
    """The jobs that run after `job`, by id."""
    return list(
        db.session.scalars(
            select(Job)
            .join(JobDependency, JobDependency.downstream_job_id == Job.id)
            .where(JobDependency.upstream_job_id == job.id)
            .order_by(Job.id)
        )
    )


def detach(job: Job) -> None:
    """Before a forced delete: drop `job` from its dependants' `run_after`; one left with no upstream
    is paused (it can never run until it is given one)."""
    for dependant in dependants(job):
        run_after = dict(dependant.run_after or {})
        run_after["jobs"] = [i for i in run_after.get("jobs", []) if i != job.id]
        dependant.run_after = run_after
        if not run_after["jobs"]:
            dependant.status = "paused"
        db.session.execute(
            delete(JobDependency).where(
                JobDependency.downstream_job_id == dependant.id, JobDependency.upstream_job_id == job.id
            )
        )


def drop_waiting(job: Job) -> None:
    """A paused downstream keeps nothing for later: its waiting upstream runs are dropped."""
    db.session.execute(
        update(DependencyTrigger)
        .where(DependencyTrigger.downstream_job_id == job.id, DependencyTrigger.status == "waiting")
        .values(status="dropped")
        .execution_options(synchronize_session=False)
    )


def graph(workspace_id: int) -> dict[str, Any]:
    """The workspace's jobs that run after, or trigger, another job, and the edges between them."""
    edges = db.session.execute(
        select(JobDependency.upstream_job_id, JobDependency.downstream_job_id)
        .join(Job, Job.id == JobDependency.downstream_job_id)
        .where(Job.workspace_id == workspace_id)
        .order_by(JobDependency.upstream_job_id, JobDependency.downstream_job_id)
    ).all()
    ids = sorted({i for edge in edges for i in edge})
    jobs: list[Job] = (
        list(db.session.scalars(select(Job).where(Job.id.in_(ids)).order_by(Job.id))) if ids else []
    )
    return {
        "nodes": [
            {
                "id": job.id,
                "name": job.name,
                "status": job.status,
                "schedule_type": job.schedule_type,
                "last_status": job.last_status,
            }
            for job in jobs
        ],
        "edges": [{"upstream": up, "downstream": down} for up, down in edges],
    }


# --- triggering ------------------------------------------------------------------------------------


def excerpt(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """An upstream's result as passed on: whole when small, else its first bytes as text."""
    if result is None:
        return None
    text = json.dumps(result, separators=(",", ":"), ensure_ascii=False, default=str)
    if len(text.encode()) <= RESULT_EXCERPT_BYTES:
        return result
    return {"excerpt": text.encode()[:RESULT_EXCERPT_BYTES].decode(errors="ignore"), "truncated": True}


def trigger_downstream(finished: Iterable[Finished], now: datetime) -> list[tuple[int, datetime]]:
    """Record what finished executions mean for the jobs that run after theirs (no commit).

    Called in the transaction that records the upstream's final status; returns the downstream
    executions it created, to be queued once committed.
    """
    finished = [f for f in finished if f.status in QUALIFYING["completion"]]
    if not finished:
        return []
    edges = db.session.execute(
        select(JobDependency.upstream_job_id, JobDependency.downstream_job_id).where(
            bulk.among(JobDependency.upstream_job_id, {f.job_id for f in finished})
        )
    ).all()
    if not edges:
        return []
    # The downstream jobs are locked (with the upstreams, in id order, so two recordings cannot
    # deadlock): a fan-in's upstreams finishing at once on two consumers are evaluated one after
    # the other, and the second sees the first's committed row.
    downstream_ids = sorted({down for _, down in edges})
    lock_ids = sorted(set(downstream_ids) | {f.job_id for f in finished})
    db.session.execute(select(Job.id).where(bulk.among(Job.id, lock_ids)).order_by(Job.id).with_for_update())
    jobs = {
        job.id: job
        for job in db.session.execute(
            select(
                Job.id,
                Job.owner_id,
                Job.workspace_id,
                Job.version,
                Job.status,
                Job.schedule_type,
                Job.run_after,
                Job.payload,
            ).where(bulk.among(Job.id, downstream_ids))
        )
    }
    rows: list[dict[str, Any]] = []
    for f in finished:
        for upstream, downstream in edges:
            job = jobs.get(downstream)
            if upstream != f.job_id or job is None or not job.run_after:
                continue
            if f.status not in QUALIFYING.get(job.run_after.get("on", "success"), ()):
                continue
            rows.append(
                {
                    "upstream_execution_id": f.execution_id,
                    "upstream_job_id": f.job_id,
                    "downstream_job_id": downstream,
                    "upstream_status": f.status,
                    "upstream_result": excerpt(f.result),
                    "status": "waiting" if job.status == "active" else "dropped",
                    "created_at": now,
                }
            )
    if not rows:
        return []
    inserted = db.session.execute(
        insert_for_dialect(_triggers)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["upstream_execution_id", "downstream_job_id"])
        .returning(_triggers.c.id, _triggers.c.downstream_job_id, _triggers.c.status)
    ).all()
    new: dict[int, list[int]] = {}
    for row in inserted:
        if row.status == "waiting":
            new.setdefault(row.downstream_job_id, []).append(row.id)
    runs: list[tuple[int, datetime]] = []
    for downstream in sorted(new):
        runs.extend(
            (execution_id, now) for execution_id in _runs_when_ready(jobs[downstream], new[downstream], now)
        )
    return runs


def _runs_when_ready(job: Any, new_ids: list[int], now: datetime) -> list[int]:
    """Create the downstream runs the new trigger rows complete; their ids.

    The rows are taken one at a time, as if each upstream run had finished alone: a run is due when
    every upstream job has a waiting run (within the window) up to that row, and it uses them all.
    So a chain runs once per upstream run, and a fan-in once per completed set.
    """
    within = job.run_after.get("within_seconds")
    query = select(DependencyTrigger).where(
        DependencyTrigger.downstream_job_id == job.id, DependencyTrigger.status == "waiting"
    )
    if within is not None:
        query = query.where(DependencyTrigger.created_at >= now - timedelta(seconds=int(within)))
    pending = list(db.session.scalars(query.order_by(DependencyTrigger.id)))
    created: list[int] = []
    for new_id in sorted(new_ids):
        waiting = [t for t in pending if t.id <= new_id]
        if set(job.run_after["jobs"]) <= {t.upstream_job_id for t in waiting}:
            created.append(_create_run(job, waiting, now))
            pending = [t for t in pending if t.id > new_id]
    return created


def _create_run(job: Any, waiting: list[DependencyTrigger], now: datetime) -> int:
    """The downstream run using these waiting upstream runs (marked used); its id."""
    upstream = [
        {
            "execution_id": t.upstream_execution_id,
            "job_id": t.upstream_job_id,
            "status": t.upstream_status,
            "result": t.upstream_result,
        }
        for t in waiting
    ]
    payload = job.payload
    # The upstream runs go into an object payload (or none) under "upstream"; any other payload is
    # sent as it is (the header still names the upstream executions).
    if payload is None or isinstance(payload, dict):
        payload = {**(payload or {}), "upstream": upstream}
    execution = Execution(
        job_id=job.id,
        owner_id=job.owner_id,
        workspace_id=job.workspace_id,
        job_version=job.version,
        scheduled_for=now,
        trigger="dependency",
        status="pending",
        attempt=0,
        attempts=[],
        payload=payload,
        upstream_execution_ids=[t.upstream_execution_id for t in waiting],
    )
    db.session.add(execution)
    db.session.flush()
    db.session.execute(
        update(DependencyTrigger)
        .where(DependencyTrigger.id.in_([t.id for t in waiting]))
        .values(status="used", downstream_execution_id=execution.id)
        .execution_options(synchronize_session=False)
    )
    return execution.id
