"""Deterministic jitter: one offset per (job, slot) on every process, within bounds, spread out,
never as far as the job's next slot."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import islice, pairwise

from chronos.scheduling.cron import Schedule, jitter_offset, upcoming_runs

TOP_OF_THE_HOUR = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_the_same_job_and_slot_always_get_the_same_offset():
    offsets = [jitter_offset(42, TOP_OF_THE_HOUR, 300) for _ in range(5)]
    assert len(set(offsets)) == 1
    # The slot is what counts, not how it is written: the same instant in another zone.
    assert jitter_offset(42, TOP_OF_THE_HOUR.astimezone(), 300) == offsets[0]


def test_another_process_computes_the_same_offsets():
    slots = [TOP_OF_THE_HOUR + timedelta(hours=h) for h in range(50)]
    here = [jitter_offset(job, slot, 600) for job in (1, 2, 999) for slot in slots]
    # A fresh interpreter with a different string-hash seed must agree (no hash(), no random).
    code = (
        "import json, sys; from datetime import datetime, timedelta, UTC;"
        "from chronos.scheduling.cron import jitter_offset;"
        "base = datetime(2026, 11, 30, 9, 0, tzinfo=UTC);"
        "slots = [base + timedelta(hours=h) for h in range(50)];"
        "print(json.dumps([jitter_offset(job, s, 600) for job in (1, 2, 999) for s in slots]))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"},
    )
    assert json.loads(output.stdout) == here


def test_offsets_stay_within_zero_and_the_jitter():
    for seconds in (0, 1, 2, 59, 300, 3600):
        offsets = {
            jitter_offset(job, TOP_OF_THE_HOUR + timedelta(minutes=m), seconds)
            for job in range(20)
            for m in range(0, 600, 7)
        }
        assert min(offsets) >= 0 and max(offsets) <= seconds
        if seconds:
            assert max(offsets) >= seconds * 0.9  # the top of the range is reached too
    assert jitter_offset(7, TOP_OF_THE_HOUR, 0) == 0
    assert jitter_offset(7, TOP_OF_THE_HOUR, -5) == 0


def test_a_thousand_jobs_at_the_top_of_the_hour_spread_evenly():
    # 1000 jobs at 09:00 with 60 s of jitter: each 6-second bucket holds about 100 of them.
    offsets = [jitter_offset(job, TOP_OF_THE_HOUR, 59) for job in range(1, 1001)]
    buckets = Counter(offset // 6 for offset in offsets)
    assert sorted(buckets) == list(range(10))
    assert all(60 <= count <= 140 for count in buckets.values()), buckets
    # Consecutive slots of one job move around too.
    per_slot = {jitter_offset(5, TOP_OF_THE_HOUR + timedelta(hours=h), 59) for h in range(200)}
    assert len(per_slot) > 40


def test_jittered_runs_fire_at_slot_plus_offset_and_keep_their_slot():
    schedule = Schedule(cron_expression="0 * * * *", jitter_seconds=600, job_id=17)
    runs = list(islice(upcoming_runs(schedule, TOP_OF_THE_HOUR), 24))
    for run in runs:
        assert run.slot.minute == 0 and run.slot.second == 0
        assert run.fires_at == run.slot + timedelta(seconds=jitter_offset(17, run.slot, 600))
    assert len({run.fires_at - run.slot for run in runs}) > 5


def test_jitter_never_reaches_the_next_slot():
    # Every minute with five minutes of jitter: each offset is drawn from the 59 s before the next slot.
    schedule = Schedule(cron_expression="* * * * *", jitter_seconds=300, job_id=3)
    runs = list(islice(upcoming_runs(schedule, TOP_OF_THE_HOUR), 200))
    for run, following in pairwise(runs):
        assert run.slot < run.fires_at < following.slot or run.fires_at == run.slot
        assert run.fires_at == run.slot + timedelta(seconds=jitter_offset(3, run.slot, 59))
    firing = [run.fires_at for run in runs]
    assert firing == sorted(firing) and len(set(firing)) == len(firing)
    # Every second: no room at all, so no jitter.
    schedule = Schedule(cron_expression="* * * * * *", jitter_seconds=30, job_id=3)
    assert all(run.fires_at == run.slot for run in islice(upcoming_runs(schedule, TOP_OF_THE_HOUR), 50))


def test_interval_and_once_schedules_are_jittered_too():
    interval = Schedule(
        schedule_type="interval", interval_seconds=3600, anchor=TOP_OF_THE_HOUR, jitter_seconds=120, job_id=8
    )
    for run in islice(upcoming_runs(interval, TOP_OF_THE_HOUR), 5):
        assert run.fires_at == run.slot + timedelta(seconds=jitter_offset(8, run.slot, 120))
    once = Schedule(schedule_type="once", run_at=TOP_OF_THE_HOUR, jitter_seconds=120, job_id=8)
    (run,) = upcoming_runs(once, TOP_OF_THE_HOUR - timedelta(days=1))
    assert run.fires_at == TOP_OF_THE_HOUR + timedelta(seconds=jitter_offset(8, TOP_OF_THE_HOUR, 120))
