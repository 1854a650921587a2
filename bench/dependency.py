"""Dependency benchmark: what a job that runs after another adds between the two.

    .venv/bin/python bench/dependency.py [--chains 200] [--rate 10] [--workers 4]
        [--worker-type process|thread] [--json PATH]

It makes N chains of two `http` jobs through the REST API — an upstream job, and a job that runs
after it (`schedule_type: "after"`, on success) — both calling the loopback `common.Receiver`, and
runs each upstream once ("Run now"), `--rate` chains a second, on a real consumer
(`python -m chronos.worker`). For each chain it reports:

* handoff — the downstream call's arrival at the receiver − the upstream execution's `finished_at`
  (when its call ended): the extra latency the dependency adds, end to end (recording the
  upstream's result with its trigger row and the downstream row, queueing the downstream run, the
  claim, and the call);
* recorded — the downstream execution's `created_at` − the upstream's `finished_at`: the part spent
  recording the upstream's result (its trigger row and the downstream row go in with it);
* claimed — the downstream execution's `started_at` − the upstream's `finished_at`: the part before
  the downstream call leaves;

as p50 / p95 / p99 / max, and how many downstream runs were missing or doubled. PostgreSQL and Redis
on 127.0.0.1 as for the tests; a database and a Redis database of its own, removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from common import Receiver, Subprocesses, claimed_redis_db, percentile, print_table, raise_on_sigterm
from firing import PASSWORD, own_database

DEADLINE_S = 60.0


def _stats(name: str, values: list[float]) -> dict[str, Any]:
    ms = [v * 1000 for v in values]
    return {
        "measure": name,
        "samples": len(ms),
        "p50_ms": round(percentile(ms, 50), 1) if ms else None,
        "p95_ms": round(percentile(ms, 95), 1) if ms else None,
        "p99_ms": round(percentile(ms, 99), 1) if ms else None,
        "max_ms": round(max(ms), 1) if ms else None,
    }


def run(args: argparse.Namespace, receiver: Receiver, children: Subprocesses) -> list[dict[str, Any]]:
    from sqlalchemy import func, select

    from chronos import create_app
    from chronos.extensions import db
    from chronos.models import Execution, WorkerHeartbeat

    app = create_app({"RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
    client = app.test_client()
    client.post("/api/v1/auth/register", json={"email": "bench@example.com", "password": PASSWORD})
    token = client.post(
        "/api/v1/auth/login", json={"email": "bench@example.com", "password": PASSWORD}
    ).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    target = {"url": receiver.url, "method": "POST"}
    common = {"handler": "http", "target": target, "max_retries": 0, "notify_on_failure": False}

    upstreams = []
    for i in range(args.chains):
        up = client.post(
            "/api/v1/jobs",
            headers=headers,
            json={"name": f"up {i}", "schedule_type": "interval", "interval_seconds": 86400, **common},
        ).get_json()
        down = client.post(
            "/api/v1/jobs",
            headers=headers,
            json={"name": f"down {i}", "schedule_type": "after", "run_after": {"jobs": [up["id"]]}, **common},
        )
        if down.status_code != 201:
            raise RuntimeError(f"creating chain {i}: {down.status_code} {down.get_json()}")
        upstreams.append(up["id"])

    with app.app_context():
        deadline = time.time() + 60
        while db.session.scalar(select(func.count()).select_from(WorkerHeartbeat)) < 1:
            db.session.rollback()
            children.check()
            if time.time() > deadline:
                raise RuntimeError("the consumer did not start within 60 s")
            time.sleep(0.2)
        db.session.remove()

    # One chain at a time, `rate` a second: the figure is a chain's handoff, not a burst's queue.
    for job_id in upstreams:
        response = client.post(f"/api/v1/jobs/{job_id}/execute", headers=headers)
        if response.status_code != 202:
            raise RuntimeError(f"running job {job_id}: {response.status_code}")
        time.sleep(1 / args.rate)

    deadline = time.time() + DEADLINE_S
    with app.app_context():
        while True:
            done = db.session.scalar(
                select(func.count()).where(
                    Execution.trigger == "dependency", Execution.status.in_(("succeeded", "failed"))
                )
            )
            db.session.rollback()
            if done >= args.chains or time.time() > deadline:
                break
            children.check()
            time.sleep(0.2)
        time.sleep(1.0)  # a doubled run would show up by now
        downstream = db.session.execute(
            select(
                Execution.id, Execution.created_at, Execution.started_at, Execution.upstream_execution_ids
            ).where(Execution.trigger == "dependency")
        ).all()
        finished = dict(
            db.session.execute(
                select(Execution.id, Execution.finished_at).where(Execution.trigger == "manual")
            ).all()
        )
        db.session.remove()

    arrivals = receiver.snapshot()
    handoff: list[float] = []
    claimed: list[float] = []
    recorded: list[float] = []
    per_upstream: dict[int, int] = {}
    for row in downstream:
        (upstream_id,) = row.upstream_execution_ids
        per_upstream[upstream_id] = per_upstream.get(upstream_id, 0) + 1
        upstream_done = finished[upstream_id]
        claimed.append((row.started_at - upstream_done).total_seconds())
        recorded.append((row.created_at - upstream_done).total_seconds())
        calls = arrivals.get(str(row.id))
        if calls:
            handoff.append(calls[0] - upstream_done.timestamp())
    missing = args.chains - len(per_upstream)
    doubled = sum(count - 1 for count in per_upstream.values())
    rows = [_stats("handoff (downstream call arrives − upstream finished)", handoff)]
    rows.append(_stats("recorded (downstream row − upstream finished)", recorded))
    rows.append(_stats("claimed (downstream started − upstream finished)", claimed))
    for row in rows:
        row.update({"chains": args.chains, "missing": missing, "doubled": doubled})
    return rows


def main(argv: list[str] | None = None) -> int:
    """CLI: run the chains, print the handoff figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chains", type=int, default=200, help="chains of two jobs (default 200)")
    parser.add_argument(
        "--rate", type=float, default=10.0, help="upstream runs started per second (default 10)"
    )
    parser.add_argument("--workers", type=int, default=4, help="consumer workers (default 4)")
    parser.add_argument("--worker-type", choices=("thread", "process"), default="process")
    parser.add_argument("--json", dest="json_path", help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    raise_on_sigterm()
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
            children.start(
                "chronos-consumer",
                [sys.executable, "-m", "chronos.worker", "-w", str(args.workers)],
                env=os.environ,
                cwd=ROOT,
            )
            rows = run(args, receiver, children)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"# {args.chains} chains at {args.rate}/s; one consumer x {args.workers} {args.worker_type} workers; "
        f"{os.cpu_count()} cores, load average at the end: {load}"
    )
    print_table(
        rows, columns=("measure", "samples", "p50_ms", "p95_ms", "p99_ms", "max_ms", "missing", "doubled")
    )
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
