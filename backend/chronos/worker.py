"""The worker: a Huey consumer on the app's Huey instance, with a sub-second scheduler tick.

Run it with ``python -m chronos.worker [-w N] [-k thread|process]`` (defaults from
``CHRONOS_WORKERS``, 4, and ``CHRONOS_WORKER_TYPE``, thread), or with Huey's own CLI as
``huey_consumer chronos.worker.huey`` (this module is what it must load: the app, its context,
the tasks). Every task runs in an app context built by the same ``create_app()`` as the web
process. The consumer records a heartbeat, plans and runs a safety sync when it starts and then
every ``SAFETY_SYNC_SECONDS``, and on SIGTERM (the stop signal of Procfile platforms) hands its
running executions back to the queue before it exits, so another consumer finishes them. SIGINT
stops gracefully: running attempts finish first.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

from flask import Flask, has_app_context
from huey.api import Task
from huey.consumer import Consumer as HueyConsumer
from huey.consumer import Scheduler as HueyScheduler
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server
from sqlalchemy import delete, select

from . import executor, tasks
from .app import create_app
from .config import load_config
from .extensions import db, huey
from .models import WorkerHeartbeat, db_now

__all__ = ["huey", "main"]

log = logging.getLogger("chronos.worker")

# The worker's settings, read once like every other (config.py).
SETTINGS = load_config()
MAX_IDLE_POLL_SECONDS = 0.25

_app: Flask | None = None
_app_lock = threading.Lock()
_task_context = threading.local()


def get_app() -> Flask:
    """This process's app, built once with the same factory as the web process."""
    global _app
    with _app_lock:
        if _app is None:
            _app = create_app()
        return _app


def app_context() -> AbstractContextManager[Any]:
    """An app context for work outside a task (heartbeat, safety sync loop, start and stop)."""
    return get_app().app_context()


@huey.pre_execute()
def _push_app_context(task: Task) -> None:
    """Run every task inside this process's app context (unless its caller already has one)."""
    if has_app_context():
        _task_context.context = None
        return
    context = get_app().app_context()
    context.push()
    _task_context.context = context


@huey.post_execute()
def _pop_app_context(task: Task, task_value: Any, exc: BaseException | None) -> None:
    context = getattr(_task_context, "context", None)
    if context is not None:
        db.session.remove()
        context.pop()
        _task_context.context = None


class Scheduler(HueyScheduler):
    """Huey's scheduler with a sub-second tick (the stock one clamps its interval to >= 1 s).

    The stock tick of one second alone makes a firing up to 1 s late; this one looks every
    `CHRONOS_SCHEDULER_TICK` seconds (50 ms: a cheap sorted-set read in Redis).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.interval = float(SETTINGS["CHRONOS_SCHEDULER_TICK"])


class Consumer(HueyConsumer):
    scheduler_class = Scheduler


def beat(worker: str) -> None:
    """Record that this consumer is alive (the API's health check counts recent heartbeats)."""
    db.session.merge(WorkerHeartbeat(worker=worker, last_seen=db_now()))
    db.session.commit()


def _heartbeat_loop(worker: str, stop: threading.Event) -> None:
    while not stop.wait(float(SETTINGS["CHRONOS_HEARTBEAT_SECONDS"])):
        try:
            with app_context():
                beat(worker)
        except Exception:  # the database may be briefly away; the next beat tries again
            log.exception("Heartbeat failed.")


def _every(interval: float, stop: threading.Event, name: str, work: Callable[[], object]) -> None:
    """Run `work` in an app context every `interval` seconds until `stop` is set."""
    while not stop.wait(interval):
        try:
            with app_context():
                work()
        except Exception:  # the database may be briefly away; the next pass tries again
            log.exception("%s failed.", name)


def check_alive() -> int:
    """0 when a consumer on this host has beaten its heartbeat within the last minute."""
    with app_context():
        recent = db.session.scalar(
            select(WorkerHeartbeat.worker)
            .where(
                WorkerHeartbeat.worker.startswith(f"{socket.gethostname()}:"),
                WorkerHeartbeat.last_seen > db_now() - timedelta(seconds=60),
            )
            .limit(1)
        )
    return 0 if recent else 1


def _serve_metrics() -> None:
    """With CHRONOS_METRICS_PORT set, expose this consumer's samples for Prometheus to scrape.

    Process workers count in forked children, so their samples are only complete in
    multiprocess mode (PROMETHEUS_MULTIPROC_DIR); `chronos serve` sets it for web and worker alike,
    so the web's /metrics already includes a local consumer's counts.
    """
    port = SETTINGS["CHRONOS_METRICS_PORT"]
    if not port:
        return
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    start_http_server(int(port), addr=SETTINGS["CHRONOS_METRICS_ADDR"], registry=registry)


def _die_with_parent() -> None:
    """Have the kernel kill this forked worker when its consumer dies, however it dies.

    Without this a SIGKILLed consumer leaves its process workers running unsupervised: their
    heartbeat is gone, so the safety sync retries their attempts while they may still be calling.
    """
    if not sys.platform.startswith("linux"):
        return
    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # not glibc: the lease still bounds the damage
        log.debug("Could not tie the worker process to its consumer.", exc_info=True)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m chronos.worker", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument(
        "-w",
        "--workers",
        type=int,
        default=int(SETTINGS["CHRONOS_WORKERS"]),
        help="worker threads or processes (env CHRONOS_WORKERS, default 4)",
    )
    parser.add_argument(
        "-k",
        "--worker-type",
        choices=("thread", "process"),
        default=SETTINGS["CHRONOS_WORKER_TYPE"],
        help="thread or process (env CHRONOS_WORKER_TYPE, default thread)",
    )
    parser.add_argument(
        "--no-periodic",
        action="store_true",
        help="do not run the periodic planner and safety sync on this consumer",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 0 if a consumer on this host beat its heartbeat in the last minute "
        "(a container health check), 1 otherwise",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the consumer until SIGTERM or SIGINT."""
    args = _parse(argv)
    if args.check:
        return check_alive()
    _serve_metrics()
    # One name per consumer, set before any fork, so its process workers share it.
    worker = f"{socket.gethostname()}:{os.getpid()}"
    executor.worker_name = worker
    # Also sets up logging (LOG_FORMAT, LOG_LEVEL) and fills the handler registry, as in the web
    # process, before any worker thread or forked process exists.
    app = get_app()
    with app.app_context():
        beat(worker)
        # After an outage, plan first: slots missed while nothing ran get their one catch-up row
        # before any queued firing of the outage is claimed (only the newest missed slot runs).
        tasks.plan_now()
        # Whatever was lost while no consumer ran is queued again before the first tick.
        tasks.sync_now()

    # Process workers are forked from this process: a child must never reuse the parent's
    # database connections (two processes on one socket), so it starts with an empty pool.
    def _fresh_pool_in_child() -> None:
        with app.app_context():
            db.engine.dispose(close=False)
        _die_with_parent()

    os.register_at_fork(after_in_child=_fresh_pool_in_child)
    stop = threading.Event()
    threading.Thread(target=_heartbeat_loop, args=(worker, stop), name="heartbeat", daemon=True).start()
    if not args.no_periodic:
        # Huey's periodic tasks run at most once a minute. The safety sync must come round well
        # within the misfire grace (a firing whose task Redis lost must still run, see
        # scheduling/misfire.py), and planning a little at a time keeps a minute's worth of slots
        # from landing in one pass.
        for name, interval, work in (
            ("Safety sync", app.config["SAFETY_SYNC_SECONDS"], tasks.sync_now),
            ("Planning", app.config["PLAN_EVERY_SECONDS"], tasks.plan_now),
        ):
            threading.Thread(
                target=_every, args=(float(interval), stop, name, work), name=name.lower(), daemon=True
            ).start()

    # An idle worker polls with backoff up to max_delay. Huey's default of 10 s would let a task
    # on the embedded SQLite queue (which cannot block on a pop the way Redis's BRPOP does) wait
    # that long, e.g. the planning request of a job due in a few seconds.
    consumer = Consumer(
        huey,
        workers=args.workers,
        worker_type=args.worker_type,
        periodic=not args.no_periodic,
        check_worker_health=True,
        flush_locks=True,
        max_delay=MAX_IDLE_POLL_SECONDS,
    )
    log.info(
        "Chronos worker %s: %s %s worker(s), scheduler tick %.2f s.",
        worker,
        args.workers,
        args.worker_type,
        float(SETTINGS["CHRONOS_SCHEDULER_TICK"]),
    )
    # What is loaded by now (the app, its models, the handlers) lives as long as the process: the
    # collector need not scan it again and again (a full collection walks every object), and a
    # forked process worker that never writes to those objects' headers keeps sharing their pages.
    gc.freeze()
    consumer.run()  # returns after SIGINT (running tasks finished) or SIGTERM (they were abandoned)

    stop.set()
    with app.app_context():
        try:
            put_back = tasks.put_back(worker)
            if put_back:
                log.warning("Put back %s interrupted execution(s): %s", len(put_back), put_back)
            db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker == worker))
            db.session.commit()
        except Exception:  # whatever is left running is recovered when its lease expires
            log.exception("Could not put back running executions; the safety sync will.")
    log.info("Chronos worker %s stopped.", worker)
    logging.shutdown()
    # Abandoned task threads may still be inside a call: leave without waiting for them.
    os._exit(0)


if __name__ == "__main__":
    # Run the imported module's main, so tasks importing chronos.worker share this process's app.
    from chronos.worker import main as _main

    sys.exit(_main())
