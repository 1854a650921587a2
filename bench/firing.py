"""Firing benchmark: N one-time jobs due at one instant, run by real Chronos consumers.

    .venv/bin/python bench/firing.py --sizes 1,100,1000,5000 [--via api|models] [--consumers 1]
        [--workers 4] [--worker-type process|thread] [--compare celery,huey] [--single-repeats 10]
        [--json PATH]

For each N it creates N one-time `http` jobs all due at the same instant T — through the REST API
(`--via api`, the default: each create plans the job, as a user's script would) or bulk-inserted
with the models and planned in one pass (`--via models`, what the periodic planner sees when the
jobs already exist) — and lets real consumers (`python -m chronos.worker`) plan and fire them at
the loopback `common.Receiver`. It prints lateness (arrival − T) p50/p95/p99/max, the seconds
until all N had arrived, and lost and duplicated deliveries (by X-Chronos-Execution-Id), with the
same stopwatch and table as `baselines.py`. `--compare celery,huey` then runs the same bursts on
those systems (`baselines.run_baseline`, needs the `bench` extra) and prints the ratios.

It needs PostgreSQL and Redis on 127.0.0.1 (as the test suite does): it creates a database of
its own and claims a Redis database number, both dropped/released at the end. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from common import (
    COLUMNS,
    Receiver,
    Subprocesses,
    claimed_redis_db,
    percentile,
    print_table,
    raise_on_sigterm,
    summarize,
)

PG_ADMIN_URL = os.environ.get("CHRONOS_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
LOSS_DEADLINE_S = 60.0
# Extra wait after the last arrival: a duplicate delivery would show up in it.
SETTLE_S = 1.0
PASSWORD = "bench-password"


@contextmanager
def own_database() -> Iterator[str]:
    """A PostgreSQL database for this run (SQLAlchemy URL), dropped at the end."""
    import psycopg

    name = f"chronos_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Bench:
    """The app (in this process, to create jobs) and what one burst needs."""

    def __init__(self, args: argparse.Namespace, receiver: Receiver, children: Subprocesses) -> None:
        from chronos import create_app
        from chronos.extensions import db

        self.args = args
        self.receiver = receiver
        self.children = children
        self.app = create_app({"RATELIMIT_ENABLED": False})
        with self.app.app_context():
            db.create_all()
        self.client = self.app.test_client()
        self.client.post("/api/v1/auth/register", json={"email": "bench@example.com", "password": PASSWORD})
        token = self.client.post(
            "/api/v1/auth/login", json={"email": "bench@example.com", "password": PASSWORD}
        ).get_json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def _sql(self, statement: Any) -> Any:
        from chronos.extensions import db

        with self.app.app_context():
            cursor = db.session.execute(statement)
            result = cursor.all() if getattr(statement, "is_select", False) else []
            db.session.commit()
            db.session.remove()
        return result

    def create_jobs(self, n: int, due: datetime) -> None:
        """n one-time http jobs due at `due`, through the API or bulk through the models."""
        target = {"url": self.receiver.url, "method": "POST"}
        if self.args.via == "api":
            for i in range(n):
                response = self.client.post(
                    "/api/v1/jobs",
                    headers=self.headers,
                    json={
                        "name": f"bench {i}",
                        "job_type": "one_time",
                        "schedule_type": "once",
                        "run_at": due.isoformat(),
                        "handler": "http",
                        "target": target,
                        "max_retries": 0,
                        "notify_on_failure": False,
                        "payload": {"i": i},
                    },
                )
                if response.status_code != 201:
                    raise RuntimeError(f"creating job {i}: {response.status_code} {response.get_json()}")
            return
        from sqlalchemy import insert

        from chronos.extensions import db
        from chronos.models import Job, User
        from chronos.tasks import plan_now

        with self.app.app_context():
            owner_id = db.session.query(User.id).scalar()
            now = datetime.now(UTC)
            rows = [
                {
                    "owner_id": owner_id,
                    "name": f"bench {i}",
                    "description": "",
                    "job_type": "one_time",
                    "schedule_type": "once",
                    "run_at": due,
                    "next_run_at": due,
                    "timezone": "UTC",
                    "handler": "http",
                    "target": target,
                    "payload": {"i": i},
                    "signing_secret": uuid.uuid4().hex,
                    "timeout_seconds": 30,
                    "max_retries": 0,
                    "retry_backoff_seconds": [60],
                    "retry_on_client_error": False,
                    "overlap_policy": "allow",
                    "misfire_policy": "run_once",
                    "notify_on_failure": False,
                    "notify_on_recovery": False,
                    "notify_emails": [],
                    "status": "active",
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(n)
            ]
            db.session.execute(insert(Job), rows)
            db.session.commit()
            plan_now()  # what the periodic planner does: every due job in one pass
            db.session.remove()

    def burst(self, n: int) -> dict[str, Any]:
        """One burst of n jobs: create, wait, summarise (with `common.summarize`)."""
        from sqlalchemy import func, select, text

        from chronos.models import Execution

        self._sql(text("TRUNCATE execution_logs, notifications, executions, jobs RESTART IDENTITY CASCADE"))
        self.receiver.clear()
        per_job = 0.012 if self.args.via == "api" else 0.0005
        lead = self.args.lead if self.args.lead is not None else 2.0 + n * per_job
        # A random fraction on top, as baselines.py does: the due time's phase against the
        # consumer's scheduler tick is sampled, not fixed.
        due_epoch = time.time() + lead + random.random()
        due = datetime.fromtimestamp(due_epoch, UTC)
        started = time.time()
        self.create_jobs(n, due)
        create_s = time.time() - started
        if time.time() > due_epoch - 0.5:
            print(
                f"warning: creating {n} jobs took {create_s:.1f} s, past the due time; pass a longer --lead",
                file=sys.stderr,
            )
        # The ids to expect are the executions the planner made; a job left unplanned at the due
        # time counts as lost (its placeholder id never arrives).
        while True:
            ids = [str(row[0]) for row in self._sql(select(Execution.id))]
            if len(ids) >= n or time.time() > due_epoch:
                break
            time.sleep(0.2)
        expected = ids + [f"unplanned-{i}" for i in range(n - len(ids))]
        deadline = due_epoch + LOSS_DEADLINE_S + n / 100
        while (
            not self.receiver.wait_for(expected, min(deadline, time.time() + 1.0)) and time.time() < deadline
        ):
            self.children.check()
            if (
                not any(
                    row[0] in ("pending", "running", "retrying")
                    for row in self._sql(select(Execution.status).distinct())
                )
                and time.time() > due_epoch + 5
            ):
                break  # everything finished; whatever has not arrived never will
        time.sleep(SETTLE_S)
        row = summarize(due_epoch, self.receiver.snapshot(), expected, deadline_epoch=deadline)
        statuses = dict(self._sql(select(Execution.status, func.count()).group_by(Execution.status)))
        return {"system": "chronos", **row, "create_s": round(create_s, 3), "statuses": statuses}

    def warm_up(self, consumers: int) -> None:
        """Wait until the consumers are up and have run one small burst (not measured)."""
        from sqlalchemy import func, select

        from chronos.models import WorkerHeartbeat

        deadline = time.time() + 60
        while self._sql(select(func.count()).select_from(WorkerHeartbeat))[0][0] < consumers:
            self.children.check()
            if time.time() > deadline:
                raise RuntimeError("consumers did not start within 60 s")
            time.sleep(0.2)
        self.burst(2 * self.args.workers)


def repeated(run: Callable[[], dict[str, Any]], n: int, repeats: int) -> dict[str, Any]:
    """One burst; for N = 1, `repeats` bursts summarised together (one burst is one sample)."""
    if n != 1 or repeats <= 1:
        return run()
    rows = [run() for _ in range(repeats)]
    lateness = [row["p50_ms"] for row in rows if row["p50_ms"] is not None]
    arrived = [row["all_arrived_s"] for row in rows if row["all_arrived_s"] is not None]
    combined = {
        **rows[0],
        "samples": repeats,
        "lost": sum(row["lost"] for row in rows),
        "duplicates": sum(row["duplicates"] for row in rows),
    }
    if lateness:
        combined.update(
            {
                "p50_ms": percentile(lateness, 50),
                "p95_ms": percentile(lateness, 95),
                "p99_ms": percentile(lateness, 99),
                "max_ms": max(lateness),
            }
        )
    combined["all_arrived_s"] = percentile(arrived, 50) if arrived and not combined["lost"] else None
    return combined


def main(argv: list[str] | None = None) -> int:
    """CLI: run the bursts, print one table row per size (and per compared system)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,100,1000,5000", help="comma-separated burst sizes")
    parser.add_argument(
        "--via",
        choices=("api", "models"),
        default="api",
        help="create the jobs through the REST API (default) or bulk through the models",
    )
    parser.add_argument("--consumers", type=int, default=1, help="consumer processes (default 1)")
    parser.add_argument("--workers", type=int, default=4, help="workers per consumer (default 4)")
    parser.add_argument(
        "--worker-type",
        choices=("thread", "process"),
        default="process",
        help="consumer worker type (default process: a burst is CPU-bound, and threads "
        "share one interpreter lock)",
    )
    parser.add_argument(
        "--lead", type=float, default=None, help="seconds from creation start to the due time"
    )
    parser.add_argument("--compare", default="", help="also run the bursts on these: celery,huey")
    parser.add_argument(
        "--single-repeats",
        type=int,
        default=10,
        help="N = 1 is one sample per burst: run it this many times and report the "
        "percentiles over all of them (default 10)",
    )
    parser.add_argument("--json", dest="json_path", help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    raise_on_sigterm()

    rows: list[dict[str, Any]] = []
    with claimed_redis_db() as redis_url, own_database() as database_url, Receiver() as receiver:
        os.environ.update(
            {
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "HUEY_NAME": f"chronos-bench-{uuid.uuid4().hex[:6]}",
                "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hs256",
                "RATELIMIT_ENABLED": "false",
                "CHRONOS_DATA_DIR": f"/tmp/chronos-bench-{os.getpid()}",
                "HTTP_ALLOWLIST": "127.0.0.1",
                "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
                "CHRONOS_WORKER_TYPE": args.worker_type,
            }
        )
        with Subprocesses() as children:
            bench = Bench(args, receiver, children)
            for i in range(args.consumers):
                children.start(
                    f"chronos-consumer-{i}",
                    [sys.executable, "-m", "chronos.worker", "-w", str(args.workers)],
                    env=os.environ,
                    cwd=ROOT,
                )
            bench.warm_up(args.consumers)
            for n in sizes:
                print(f"running chronos n={n} ...", file=sys.stderr, flush=True)
                rows.append(repeated(lambda n=n: bench.burst(n), n, args.single_repeats))
    # The consumers are stopped: each compared system runs on an otherwise idle machine.
    compared = [s.strip() for s in args.compare.split(",") if s.strip()]
    if compared:
        from baselines import run_baseline

        for name in compared:
            for n in sizes:
                print(f"running {name} n={n} ...", file=sys.stderr, flush=True)
                rows.append(repeated(lambda name=name, n=n: run_baseline(name, n), n, args.single_repeats))
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"# chronos: {args.consumers} consumer(s) x {args.workers} {args.worker_type} workers, jobs created "
        f"via {args.via}; {os.cpu_count()} cores, load average at the end: {load}"
    )
    print_table(rows, columns=(*COLUMNS[:2], "min_ms", *COLUMNS[2:], "samples", "create_s"))
    print(f"# n=1 rows: percentiles over {args.single_repeats} single-job bursts, all_arrived_s their median")
    chronos = {row["n"]: row for row in rows if row["system"] == "chronos"}
    for row in rows:
        mine = chronos.get(row["n"])
        if row["system"] != "chronos" and mine and mine["all_arrived_s"] and row["all_arrived_s"]:
            print(
                f"n={row['n']}: {row['system']} took {row['all_arrived_s'] / mine['all_arrived_s']:.1f}x "
                f"as long as chronos until all arrived"
            )
    if args.json_path:
        Path(args.json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_path).write_text(json.dumps(rows, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
