"""A long outage: every consumer down for longer than the planner's look-ahead, then back.

Slots planned (and queued) before the outage and slots never planned during it are both missed;
on restart each job's misfire policy decides: `skip` runs none of them, `run_once` runs exactly one
catch-up. Every missed slot is recorded (as `skipped`, reason `missed`), none runs twice, and the
regular slots go on firing on time afterwards.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from chronos import tasks
from chronos.extensions import db
from chronos.models import Execution, Job, db_now
from tests.factories import make_job
from tests.live import wait_for

LOOKAHEAD = 4
GRACE = 3
OUTAGE_SECONDS = 10  # longer than the look-ahead: some missed slots were never planned
ENV = {
    "PLANNER_LOOKAHEAD_SECONDS": str(LOOKAHEAD),
    "MISFIRE_GRACE_SECONDS": str(GRACE),
    "RECOVERY_GRACE_SECONDS": "1",
    "SAFETY_SYNC_SECONDS": "1",
}


def _keep_planning(seconds: float) -> None:
    """What the consumers' periodic planner does, once a second instead of once a minute."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        tasks.plan_periodically()
        time.sleep(1)


def _rows(job_id: int) -> list:
    db.session.expire_all()
    rows = (
        db.session.execute(
            select(Execution).where(Execution.job_id == job_id).order_by(Execution.scheduled_for)
        )
        .scalars()
        .all()
    )
    db.session.rollback()
    return list(rows)


def test_outage_longer_than_the_lookahead_obeys_each_misfire_policy(app, consumers, receiver, monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setitem(app.config, name, int(value))
    start = db_now() + timedelta(seconds=1)
    jobs = {
        policy: make_job(
            name=policy,
            interval_seconds=1,
            next_run_at=start,
            misfire_policy=policy,
            handler="http",
            max_retries=0,
            target={"url": f"{receiver.url}/ok/{policy}", "method": "POST"},
        )
        for policy in ("skip", "run_once")
    }

    first = consumers.start(workers=4, extra_env=ENV)
    _keep_planning(4)
    first.send_signal(signal.SIGKILL)  # every consumer gone: planned firings stay queued in Redis
    first.wait(timeout=5)
    down_at = db_now()
    time.sleep(OUTAGE_SECONDS)
    up_at = db_now()
    consumers.start(workers=4, extra_env=ENV)
    _keep_planning(5)
    db.session.execute(update(Job).values(next_run_at=None))  # stop planning; let the rest finish
    db.session.commit()
    wait_for(
        lambda: (
            not db.session.scalar(
                select(func.count())
                .select_from(Execution)
                .where(Execution.status.in_(("pending", "running")), Execution.scheduled_for <= db_now())
            )
        ),
        20,
        message="every due execution settled",
    )

    for policy, job in jobs.items():
        calls = receiver.matching(f"/ok/{policy}")
        slots = Counter(r.headers["X-Chronos-Scheduled-For"] for r in calls)
        assert set(slots.values()) == {1}, f"{policy}: a slot ran twice: {slots}"
        late = [
            r
            for r in calls
            if r.at - datetime.fromisoformat(r.headers["X-Chronos-Scheduled-For"]).timestamp() > GRACE
        ]
        rows = _rows(job.id)
        missed = [r for r in rows if r.status == "skipped" and r.reason == "missed"]
        in_outage = [r for r in rows if down_at <= r.scheduled_for < up_at - timedelta(seconds=GRACE)]
        print(
            f"{policy}: {len(calls)} calls, {len(late)} late, {len(missed)} missed rows "
            f"({sum(r.missed_count or 1 for r in missed)} slots)"
        )
        catch_up_ids = {str(r.id) for r in rows if r.trigger == "catch_up"}
        if policy == "skip":
            assert late == [], f"skip ran {len(late)} missed slot(s)"
            assert not catch_up_ids
        else:
            assert len(late) == 1, f"run_once ran {len(late)} missed slots, not one catch-up"
            (catch_up,) = [r for r in rows if r.trigger == "catch_up"]
            assert catch_up.status == "succeeded"
            assert late[0].headers["X-Chronos-Execution-Id"] == str(catch_up.id)
        # Never silent: the outage's slots are on record, as skipped rows naming why.
        assert missed and all(r.status in ("skipped", "succeeded") for r in in_outage)
        assert sum(r.missed_count or 1 for r in missed) >= OUTAGE_SECONDS - LOOKAHEAD
        # And the job fires on time again after the restart.
        after = [
            r
            for r in calls
            if datetime.fromisoformat(r.headers["X-Chronos-Scheduled-For"]) > up_at
            and r.headers["X-Chronos-Execution-Id"] not in catch_up_ids
        ]
        assert len(after) >= 3, f"{policy} did not resume"
