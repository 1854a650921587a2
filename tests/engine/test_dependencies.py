"""Jobs that run after other jobs, with real consumer processes on real PostgreSQL and Redis: a
chain, a fan-in of two, on-failure, and exactly one downstream run per upstream run while two
consumers race and one is killed."""

from __future__ import annotations

import signal
import time
from typing import Any

from sqlalchemy import func, select

from chronos import tasks
from chronos.extensions import db
from chronos.models import DependencyTrigger, Execution, Job, db_now
from chronos.scheduling import dependencies
from tests.factories import make_execution, make_job, reload
from tests.live import wait_for


def make_after(upstreams: list[Job], on: str = "success", within: int | None = None, **fields: Any) -> Job:
    """A job that runs after `upstreams`, its edges recorded as the API records them."""
    job = make_job(
        schedule_type="after",
        interval_seconds=None,
        run_after={"jobs": [u.id for u in upstreams], "on": on, "within_seconds": within},
        **fields,
    )
    dependencies.set_upstreams(job)
    db.session.commit()
    return job


def runs_of(job: Job) -> list[Execution]:
    db.session.expire_all()
    rows = list(
        db.session.scalars(select(Execution).where(Execution.job_id == job.id).order_by(Execution.id))
    )
    db.session.rollback()
    return rows


def finished(job: Job, count: int = 1) -> bool:
    rows = runs_of(job)
    return len(rows) >= count and all(row.status in ("succeeded", "failed") for row in rows)


def test_a_chain_of_three_runs_in_order_with_the_upstream_named(app, consumers, receiver):
    consumers.start(workers=2)
    extract = make_job(name="extract", handler="http", target={"url": f"{receiver.url}/ok/extract"})
    load = make_after([extract], name="load", handler="http", target={"url": f"{receiver.url}/ok/load"})
    report = make_after([load], name="report", handler="http", target={"url": f"{receiver.url}/ok/report"})
    first = tasks.trigger_manual(extract)
    wait_for(lambda: finished(report), timeout=20, message="the end of the chain ran")
    (load_run,) = runs_of(load)
    (report_run,) = runs_of(report)
    assert (load_run.trigger, load_run.status, load_run.upstream_execution_ids) == (
        "dependency",
        "succeeded",
        [first.id],
    )
    assert report_run.upstream_execution_ids == [load_run.id]
    assert report_run.started_at >= load_run.finished_at >= reload(first).finished_at
    (call,) = receiver.matching("/ok/load")
    assert call.headers["X-Chronos-Upstream-Execution-Id"] == str(first.id)
    (upstream,) = call.json()["upstream"]
    assert upstream["execution_id"] == first.id and upstream["status"] == "succeeded"
    assert upstream["result"]["http_status"] == 200
    assert "X-Chronos-Upstream-Execution-Id" not in receiver.matching("/ok/extract")[0].headers


def test_a_fan_in_of_two_runs_once_both_finished_on_two_consumers(app, consumers, receiver):
    consumers.start(workers=2)
    consumers.start(workers=2)
    left = make_job(name="left", handler="sleepy", payload={"seconds": 0.3})
    right = make_job(name="right", handler="sleepy", payload={"seconds": 0.3})
    both = make_after(
        [left, right], within=60, name="both", handler="http", target={"url": f"{receiver.url}/ok/both"}
    )
    # Both upstreams finish at about the same instant, each on whichever consumer takes it.
    runs = [tasks.trigger_manual(left), tasks.trigger_manual(right)]
    wait_for(lambda: finished(both), timeout=20, message="the fan-in ran")
    time.sleep(1.5)  # anything doubled would show up by now
    (run,) = runs_of(both)
    assert sorted(run.upstream_execution_ids) == sorted(r.id for r in runs)
    (call,) = receiver.matching("/ok/both")
    assert sorted(call.headers["X-Chronos-Upstream-Execution-Id"].split(",")) == sorted(
        str(r.id) for r in runs
    )
    # One side again is not enough: its partner was used by the run above.
    tasks.trigger_manual(left)
    wait_for(lambda: finished(left, 2), timeout=20, message="left ran again")
    time.sleep(1.0)
    assert len(runs_of(both)) == 1


def test_on_failure_runs_the_cleanup_and_not_the_next_step(app, consumers):
    consumers.start(workers=2)
    fragile = make_job(name="fragile", handler="refuses", max_retries=0)
    cleanup = make_after([fragile], on="failure", name="cleanup", handler="follows")
    next_step = make_after([fragile], on="success", name="next", handler="follows")
    always = make_after([fragile], on="completion", name="always", handler="follows")
    failed = tasks.trigger_manual(fragile)
    wait_for(lambda: finished(cleanup) and finished(always), timeout=20, message="cleanup ran")
    time.sleep(1.0)
    assert reload(failed).status == "failed"
    assert [r.upstream_execution_ids for r in runs_of(cleanup)] == [[failed.id]]
    assert [r.upstream_execution_ids for r in runs_of(always)] == [[failed.id]]
    assert runs_of(next_step) == []


def test_exactly_one_downstream_run_per_upstream_run_with_a_consumer_killed(app, consumers, redis):
    first = consumers.start(workers=3)
    second = consumers.start(workers=3)
    upstream = make_job(name="upstream", handler="sleepy", payload={"seconds": 1}, timeout_seconds=3)
    downstream = make_after([upstream], name="downstream", handler="follows", payload={"seconds": 0.2})
    rows = [make_execution(upstream, scheduled_for=db_now(), trigger="manual") for _ in range(12)]
    ids = [row.id for row in rows]
    # Every run is delivered twice, one task each, so both consumers race for each claim and each
    # recording.
    for _ in range(2):
        for execution_id in ids:
            tasks.run_executions([execution_id])

    def holder() -> str | None:
        db.session.expire_all()
        worker = db.session.scalar(select(Execution.worker).where(Execution.status == "running").limit(1))
        db.session.rollback()
        return worker

    held_by = wait_for(holder, message="an upstream run is running")
    victim = first if held_by.endswith(f":{first.pid}") else second
    victim.send_signal(signal.SIGKILL)  # mid-call or mid-recording: whatever it held is lost
    victim.wait(timeout=5)
    consumers.start(workers=3)

    def all_done() -> bool:
        tasks.sync_periodically()  # gives back the killed consumer's runs once their lease expires
        return finished(upstream, 12) and finished(downstream, 12)

    wait_for(all_done, timeout=45, interval=1.0, message="every upstream and downstream run finished")
    time.sleep(1.0)
    upstream_runs = runs_of(upstream)
    assert {r.status for r in upstream_runs} == {"succeeded"}
    downstream_runs = runs_of(downstream)
    assert {r.status for r in downstream_runs} == {"succeeded"}
    caused = sorted(i for r in downstream_runs for i in r.upstream_execution_ids)
    assert caused == sorted(ids)  # every upstream run caused exactly one downstream run
    per_upstream = db.session.execute(
        select(DependencyTrigger.upstream_execution_id, func.count()).group_by(
            DependencyTrigger.upstream_execution_id
        )
    ).all()
    assert sorted(per_upstream) == [(i, 1) for i in sorted(ids)]
    assert any(a["status"] == "interrupted" for r in upstream_runs for a in r.attempts), "the kill hit a run"
