"""The sustained workload of `steady.py` on the schedulers users compare Chronos with.

* apscheduler — APScheduler 3 `AsyncIOScheduler`, N interval jobs in memory (no job store on
  disk: nothing survives a restart), each an aiohttp POST on one shared session; one process.
* celery — Celery beat with the same N entries (each job's phase kept by a scheduler that starts
  every entry at its phase), a prefork worker (concurrency 4, as Chronos's 4 workers) on Redis,
  each task a POST with urllib.

Each runs as `python bench/peers_steady.py <system> <role> ...` children; the body of every call is
`{"job", "slot", "id"}` so `fast_receiver.py` records the same facts it takes from Chronos's headers.
"""
from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
CELERY_WORKERS = 4


def _spec_path(workdir: Path) -> Path:
    return workdir / f"peer-jobs-{uuid.uuid4().hex[:6]}.json"


def run_peer(name: str, rate: int, args: Any, receiver: Any, children: Any, redis_url: str, judge: Any,
             cpu_meter: Any, process_tree: Any, redis_finder: Any, memory_mb: Any
             ) -> tuple[dict[str, Any], dict[str, float], tuple[float | None, float | None]]:
    """Run one peer at `rate`; what `steady.judge` says of its window, its CPU shares and memory."""
    n = rate * args.interval
    start = time.time() + 8 + n / 5000
    phases = {str(i): start + i * args.interval / n for i in range(n)}
    spec = _spec_path(Path(receiver.record_file).parent)
    spec.write_text(json.dumps({"url": receiver.url, "interval": args.interval, "phases": phases,
                                "redis_url": redis_url}))
    env = {**os.environ, "PYTHONPATH": str(BENCH_DIR)}
    if name == "apscheduler":
        roles = [children.start("peer-apscheduler", [sys.executable, __file__, "apscheduler", str(spec)], env=env)]
    elif name == "celery":
        roles = [children.start("peer-celery-worker", [sys.executable, __file__, "celery-worker", str(spec)],
                                env=env),
                 children.start("peer-celery-beat", [sys.executable, __file__, "celery-beat", str(spec)], env=env)]
    else:
        raise ValueError(f"unknown peer {name!r}; use apscheduler or celery")
    try:
        time.sleep(max(0.0, start - time.time()) + args.warmup)
        children.check()
        receiver.skip_to_end()
        pids = [role.pid for role in roles]
        meter = cpu_meter({"system": lambda: [p for pid in pids for p in process_tree(pid)],
                           "redis": redis_finder, "receiver": lambda: process_tree(receiver.process.pid)})
        meter.start()
        window = (time.time(), time.time() + args.window)
        memory = []
        while time.time() < window[1]:
            time.sleep(min(5.0, max(0.0, window[1] - time.time())))
            memory.append(memory_mb([p for pid in pids for p in process_tree(pid)]))
        cpu = meter.stop()
        time.sleep(min(30.0, 2.0 + args.interval))
        records = receiver.records()
    finally:
        children.stop_named("peer-")
        spec.unlink(missing_ok=True)
    return judge(records, phases, args.interval, window), cpu, max(memory) if memory else (None, None)


# --- the children ----------------------------------------------------------------------------------

def _apscheduler(spec: dict[str, Any]) -> None:
    import asyncio
    from datetime import UTC, datetime

    import aiohttp
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    async def main() -> None:
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1000))
        scheduler = AsyncIOScheduler(timezone=UTC)

        async def post(job: str, interval: float, first: float) -> None:
            now = time.time()
            slot = first + round((now - first) / interval) * interval
            async with session.post(spec["url"], json={"job": job, "slot": slot, "id": f"{job}@{slot}"}) as r:
                await r.read()

        for job, first in spec["phases"].items():
            scheduler.add_job(post, "interval", seconds=spec["interval"], args=(job, spec["interval"], first),
                              start_date=datetime.fromtimestamp(first, UTC), misfire_grace_time=30,
                              coalesce=True, max_instances=10)
        scheduler.start()
        await asyncio.Event().wait()

    asyncio.run(main())


def make_celery_app(spec: dict[str, Any]) -> Any:
    """Celery on Redis with one task (a POST) and a beat schedule of every job at its phase."""
    from datetime import UTC, datetime, timedelta

    from celery import Celery
    from celery.beat import PersistentScheduler

    app = Celery("steady", broker=spec["redis_url"])
    app.conf.update(task_serializer="json", accept_content=["json"], worker_prefetch_multiplier=4,
                    broker_connection_retry_on_startup=True, task_ignore_result=True)

    @app.task(name="steady.post")
    def post(job: str, first: float, interval: float) -> None:
        now = time.time()
        slot = first + round((now - first) / interval) * interval
        body = json.dumps({"job": job, "slot": slot, "id": f"{job}@{slot}"}).encode()
        request = urllib.request.Request(spec["url"], data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    interval = float(spec["interval"])
    app.conf.beat_schedule = {
        job: {"task": "steady.post", "schedule": timedelta(seconds=interval), "args": (job, first, interval)}
        for job, first in spec["phases"].items()}

    class PhasedScheduler(PersistentScheduler):
        """Beat's own scheduler, with each entry's last run set so that it first runs at its phase."""

        def setup_schedule(self) -> None:
            super().setup_schedule()
            for name, entry in self.schedule.items():
                if name in spec["phases"]:
                    entry.last_run_at = datetime.fromtimestamp(spec["phases"][name] - interval, UTC)

    app.PhasedScheduler = PhasedScheduler
    return app


def main() -> None:
    system, spec_path = sys.argv[1], Path(sys.argv[2])
    spec = json.loads(spec_path.read_text())
    if system == "apscheduler":
        _apscheduler(spec)
    elif system == "celery-worker":
        app = make_celery_app(spec)
        app.worker_main(["worker", "--pool", "prefork", "--concurrency", str(CELERY_WORKERS), "--loglevel",
                         "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"])
    elif system == "celery-beat":
        app = make_celery_app(spec)
        schedule_file = spec_path.with_suffix(".beat")
        beat = app.Beat(scheduler=app.PhasedScheduler, schedule=str(schedule_file), loglevel="WARNING",
                        max_interval=0.05)
        beat.run()


if __name__ == "__main__":
    main()
