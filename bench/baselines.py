"""The same burst, run by the systems users compare Chronos with: Celery and plain Huey.

N tasks are all due at one instant T; each does one HTTP POST (urllib, JSON body `{"id": ...}`)
to the loopback `Receiver` of this process, which stamps the arrival. Each system runs stock:

* celery — Redis broker, `apply_async(eta=T)`, a real `celery worker` (prefork, concurrency 8);
* huey   — `RedisHuey`, `schedule(eta=T)` with an aware UTC datetime, a real `huey_consumer`
           (`-w 8 -k thread`, stock 1 s scheduler tick).

Both use a Redis database claimed like the test runs claim theirs (and flushed, that one only);
no PostgreSQL, no Chronos table is touched. Every child process is ended on the way out.

    python bench/baselines.py --sizes 1,100,1000 --systems celery,huey

`bench/firing.py` imports `run_baseline` to print Chronos's ratio to these in the same run.
The worker subprocesses import this module too (as `baselines`), to find the apps below.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    # Run as `python -m bench.baselines`, or imported from elsewhere: `common` still resolves.
    sys.path.insert(0, str(BENCH_DIR))

from common import COLUMNS, Receiver, Subprocesses, claimed_redis_db, print_table, raise_on_sigterm, summarize

SYSTEMS = ("celery", "huey")
WORKERS = 8
TASK_NAME = "bench.post"
REDIS_URL_ENV = "CHRONOS_BENCH_REDIS_URL"
WARMUP_TASKS = 2 * WORKERS
STARTUP_TIMEOUT_S = 60.0
LOSS_DEADLINE_S = 60.0
# Extra wait after the last arrival: a duplicate delivery would show up in it.
SETTLE_S = 1.0


def post_json(url: str, task_id: str) -> None:
    """The task body every system runs: one HTTP POST of `{"id": task_id}` to `url`."""
    request = urllib.request.Request(
        url,
        data=json.dumps({"id": task_id}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def make_celery_app(redis_url: str) -> Any:
    """A Celery app on the Redis broker at `redis_url`, with `post_json` registered as a task."""
    from celery import Celery

    app = Celery("chronos_bench", broker=redis_url, set_as_current=False)
    app.conf.update(
        task_ignore_result=True,  # no result backend: the receiver is the result
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    app.task(name=TASK_NAME, ignore_result=True)(post_json)
    return app


def make_huey_app(redis_url: str) -> Any:
    """A RedisHuey at `redis_url`, with `post_json` registered as a task."""
    return _huey_app_and_task(redis_url)[0]


def _huey_app_and_task(redis_url: str) -> tuple[Any, Any]:
    from huey import RedisHuey

    huey = RedisHuey("chronos-bench", url=redis_url, results=False)
    return huey, huey.task(name=TASK_NAME)(_huey_post_json)


def _huey_post_json(url: str, task_id: str) -> None:
    post_json(url, task_id)


# Huey registers a task as "<function's module>.<name>". The producer may know this file as
# `__main__` or `bench.baselines`, the consumer imports it as `baselines`: pin the module so both agree.
_huey_post_json.__module__ = "baselines"


_apps: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    """`baselines.celery_app` / `baselines.huey_app`, built on first use for the worker processes."""
    factories = {"celery_app": make_celery_app, "huey_app": make_huey_app}
    if name not in factories:
        raise AttributeError(name)
    if name not in _apps:
        _apps[name] = factories[name](os.environ[REDIS_URL_ENV])
    return _apps[name]


@dataclass
class _System:
    """How to run one system: its worker command and how to send a task now or at an instant."""

    worker_cmd: list[str]
    send_now: Callable[[str, str], None]
    send_at: Callable[[str, str, float], None]
    close: Callable[[], None]


def _celery(redis_url: str) -> _System:
    app = make_celery_app(redis_url)
    task = app.tasks[TASK_NAME]
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "baselines:celery_app",
        "worker",
        "--pool",
        "prefork",
        "--concurrency",
        str(WORKERS),
        "--loglevel",
        "WARNING",
        # One worker, nothing to sync with: skip the cluster chatter that only slows startup.
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--hostname",
        f"bench-{os.getpid()}@localhost",
    ]

    # An own connection and producer rather than kombu's process-wide pools, which are keyed by
    # broker URL and would outlive (or be closed under) the next run on the same database.
    connection = app.connection_for_write()
    producer = connection.Producer()

    def send_now(url: str, task_id: str) -> None:
        task.apply_async(args=(url, task_id), producer=producer)

    def send_at(url: str, task_id: str, due: float) -> None:
        task.apply_async(args=(url, task_id), eta=datetime.fromtimestamp(due, UTC), producer=producer)

    def close() -> None:
        connection.release()
        app.close()

    return _System(cmd, send_now, send_at, close)


def _huey(redis_url: str) -> _System:
    huey, task = _huey_app_and_task(redis_url)
    cmd = [
        sys.executable,
        "-m",
        "huey.bin.huey_consumer",
        "baselines.huey_app",
        "-w",
        str(WORKERS),
        "-k",
        "thread",
        "-q",
    ]

    def send_at(url: str, task_id: str, due: float) -> None:
        # Aware UTC: a naive eta is read as local time and can run early (TOOLCHAIN.md §3).
        task.schedule(args=(url, task_id), eta=datetime.fromtimestamp(due, UTC))

    return _System(
        cmd,
        lambda url, task_id: task(url, task_id),
        send_at,
        lambda: huey.storage.conn.connection_pool.disconnect(),
    )


def run_baseline(name: str, n: int, *, lead_s: float | None = None) -> dict[str, Any]:
    """Run one burst of `n` tasks on `name` ("celery" or "huey") and return its summary row.

    Keys: system, n, p50_ms, p95_ms, p99_ms, max_ms, all_arrived_s, lost, duplicates (as
    `common.summarize`, plus min_ms, unexpected, enqueue_s and lead_s). A fresh worker is started
    for the run and stopped at its end, whatever happens.
    """
    if name not in SYSTEMS:
        raise ValueError(f"unknown system {name!r}; choose from {', '.join(SYSTEMS)}")
    if lead_s is None:
        # Enough time to enqueue n tasks (Celery sends ~800 a second here) with a wide margin.
        lead_s = 2.0 + n * 0.003
    # A random fraction of a second on top: Huey's scheduler ticks every second from consumer start,
    # and a due time at a fixed offset from the warm-up would always land at the same (worst or
    # best) phase of that tick. Users' due times bear no relation to it, so sample it.
    lead_s += random.random()
    with claimed_redis_db() as redis_url, Receiver() as receiver, Subprocesses() as children:
        system = {"celery": _celery, "huey": _huey}[name](redis_url)
        try:
            env = {
                **os.environ,
                REDIS_URL_ENV: redis_url,
                "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH_DIR), os.environ.get("PYTHONPATH")])),
            }
            children.start(f"{name}-worker", system.worker_cmd, env=env, cwd=BENCH_DIR)
            _warm_up(system, receiver, children)

            task_ids = [f"{name}-{n}-{i}" for i in range(n)]
            due = time.time() + lead_s
            started = time.time()
            for task_id in task_ids:
                system.send_at(receiver.url, task_id, due)
            enqueue_s = time.time() - started
            if time.time() > due:
                print(
                    f"warning: {name} n={n}: enqueueing took {enqueue_s:.2f} s, past the due time; "
                    f"pass a longer lead",
                    file=sys.stderr,
                )

            deadline = due + LOSS_DEADLINE_S
            while (
                not receiver.wait_for(task_ids, min(deadline, time.time() + 1.0)) and time.time() < deadline
            ):
                children.check()
            time.sleep(SETTLE_S)
            row = summarize(due, receiver.snapshot(), task_ids, deadline_epoch=deadline)
        finally:
            system.close()
    return {"system": name, **row, "enqueue_s": round(enqueue_s, 3), "lead_s": round(lead_s, 3)}


def _warm_up(system: _System, receiver: Receiver, children: Subprocesses) -> None:
    # Until a few immediate tasks have come back the worker is still starting (forking its pool,
    # importing): a burst due during startup would measure startup, not firing.
    warmup_ids = [f"warmup-{i}" for i in range(WARMUP_TASKS)]
    for task_id in warmup_ids:
        system.send_now(receiver.url, task_id)
    deadline = time.time() + STARTUP_TIMEOUT_S
    while not receiver.wait_for(warmup_ids, min(deadline, time.time() + 1.0)):
        children.check()
        if time.time() >= deadline:
            raise RuntimeError(f"worker did not run the warm-up tasks within {STARTUP_TIMEOUT_S:.0f} s")
    receiver.clear()


def main(argv: list[str] | None = None) -> int:
    """CLI: run the bursts and print one table row per system and size."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1,100,1000", help="comma-separated burst sizes (default 1,100,1000)"
    )
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated: celery,huey")
    parser.add_argument("--lead", type=float, default=None, help="seconds from enqueue start to due time")
    parser.add_argument("--repeat", type=int, default=1, help="run each system and size this many times")
    parser.add_argument("--json", dest="json_path", help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    raise_on_sigterm()

    rows = []
    for name in [s.strip() for s in args.systems.split(",") if s.strip()]:
        for n in [int(s) for s in args.sizes.split(",") if s.strip()]:
            for _ in range(args.repeat):
                print(f"running {name} n={n} ...", file=sys.stderr, flush=True)
                rows.append(run_baseline(name, n, lead_s=args.lead))
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"# {WORKERS} workers per system, {os.cpu_count()} cores, load average at the end: {load}")
    print_table(rows, columns=(*COLUMNS, "min_ms", "enqueue_s"))
    if args.json_path:
        Path(args.json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_path).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        # The `with` blocks have already stopped the workers and released the Redis database.
        sys.exit(130)
