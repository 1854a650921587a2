"""Scale of data: does a million stored jobs change what the planner, the job list and the
dashboard cost?

    .venv/bin/python bench/scale.py [--sizes 10000,1000000] [--passes 15] [--reads 100] [--json PATH]

One database of its own on PostgreSQL (127.0.0.1, as for the tests), dropped at the end. One
measured user owns 200 active interval jobs and 50,000 finished executions (what the list and the
dashboard show). Then the instance is filled with idle jobs of 1,000 other users, in SQL, up to each
size in turn: four in five paused, one in five active on a daily cron whose next run is spread over
the next 24 hours (stored but not due: the planner must not even look at them). For each size it
prints, side by side:

* the planner: median and p90 wall time of a planning pass (`plan_due_jobs`) over `--passes`;
* the planner's query plan (`EXPLAIN (ANALYZE, BUFFERS)` of its due-jobs query): the index it
  uses and the rows and buffers it touches;
* `GET /jobs` (first page) and `GET /dashboard/stats` for the measured user: p50 / p99 over
  `--reads` requests through the app in this process (no HTTP, no other load);
* the database's size.

Nothing fires (no consumer) and no network is used.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from common import claimed_redis_db, percentile, raise_on_sigterm
from firing import own_database

PASSWORD = "bench-password"
FILLER_USERS = 1000

_FILL_JOBS = """
INSERT INTO jobs (owner_id, workspace_id, name, description, job_type, schedule_type, cron_expression, timezone,
                  handler, target, payload, signing_secret, timeout_seconds, max_retries,
                  retry_backoff_seconds, retry_on_client_error, overlap_policy, misfire_policy,
                  notify_on_failure, notify_on_recovery, notify_emails, status, next_run_at,
                  version, schedule_version, dst_policy, exclude_calendars, on_excluded, jitter_seconds,
                  created_at, updated_at)
SELECT w.personal_for, w.id, 'idle ' || g, '', 'recurring', 'cron', '0 9 * * *', 'UTC',
       'log', 'null'::json, 'null'::json, md5(g::text), 30, 3, '[60, 300, 900]'::json, false,
       'allow', 'run_once', false, false, '[]'::json,
       CASE WHEN g % 5 = 0 THEN 'active' ELSE 'paused' END,
       CASE WHEN g % 5 = 0 THEN now() + interval '10 minutes' + (g % 86000) * interval '1 second' END,
       1, 1, '{"fold": "first", "gap": "shift"}'::json, '[]'::json, 'skip', 0, now(), now()
FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint)) AS g
JOIN (SELECT id, personal_for, row_number() OVER (ORDER BY id) - 1 AS n
      FROM workspaces WHERE personal_for IN (SELECT id FROM users WHERE email LIKE 'filler%')) AS w
  ON w.n = g % CAST(:users AS bigint)
"""

_FILL_USERS = """
INSERT INTO users (email, password_hash, created_at, updated_at)
SELECT 'filler' || g || '@example.com', 'x', now(), now() FROM generate_series(1, CAST(:users AS integer)) AS g
RETURNING id
"""

# Each filler user's personal workspace, as registering would have made it.
_FILL_WORKSPACES = """
INSERT INTO workspaces (name, personal_for, created_at, updated_at)
SELECT email, id, now(), now() FROM users WHERE email LIKE 'filler%'
"""

_HISTORY = """
INSERT INTO executions (job_id, owner_id, workspace_id, job_version, scheduled_for, trigger, status, attempt,
                        started_at, finished_at, duration_ms, attempts, created_at, updated_at)
SELECT j.id, j.owner_id, j.workspace_id, 1, now() - (g * interval '7 seconds') - (j.id * interval '1 millisecond'),
       'schedule', CASE WHEN g % 20 = 0 THEN 'failed' ELSE 'succeeded' END, 1,
       now() - (g * interval '7 seconds'), now() - (g * interval '7 seconds'), 20 + g % 300,
       '[]'::json, now(), now()
FROM jobs j CROSS JOIN generate_series(1, CAST(:per_job AS integer)) AS g
WHERE j.owner_id = :owner
"""


def _timed(fn: Any, n: int) -> list[float]:
    values = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        values.append(time.perf_counter() - started)
    return values


def _ms(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 50) * 1000, 2),
        "p99_ms": round(percentile(values, 99) * 1000, 2),
    }


def main(argv: list[str] | None = None) -> int:
    raise_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,1000000", help="stored jobs in all, in increasing order")
    parser.add_argument("--passes", type=int, default=15)
    parser.add_argument("--reads", type=int, default=100)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    with own_database() as database_url, claimed_redis_db() as redis_url:
        os.environ.update(
            {
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "SECRET_KEY": "bench-secret-key-" + "x" * 32,
            }
        )
        from sqlalchemy import text

        from chronos import create_app
        from chronos.extensions import db
        from chronos.scheduling import planner

        app = create_app({"RATELIMIT_ENABLED": False})
        client = app.test_client()
        with app.app_context():
            db.create_all()
        client.post("/api/v1/auth/register", json={"email": "bench@example.com", "password": PASSWORD})
        token = client.post(
            "/api/v1/auth/login", json={"email": "bench@example.com", "password": PASSWORD}
        ).get_json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        body = {
            "jobs": [
                {"name": f"measured {i}", "schedule_type": "interval", "interval_seconds": 60}
                for i in range(200)
            ]
        }
        assert client.post("/api/v1/jobs/batch", json=body, headers=headers).status_code == 201
        with app.app_context():
            owner = db.session.execute(
                text("SELECT id FROM users WHERE email = 'bench@example.com'")
            ).scalar_one()
            db.session.execute(text(_HISTORY), {"per_job": 250, "owner": owner})
            db.session.execute(text(_FILL_USERS), {"users": FILLER_USERS})
            db.session.execute(text(_FILL_WORKSPACES))
            db.session.commit()
            planner.plan_due_jobs()  # the measured jobs' first slots: later passes find little new

        results = []
        stored = 200
        for size in sizes:
            with app.app_context():
                started = time.perf_counter()
                db.session.execute(
                    text(_FILL_JOBS),
                    {"users": FILLER_USERS, "start": stored + 1, "stop": size},
                )
                db.session.commit()
                db.session.execute(text("ANALYZE"))
                db.session.commit()
                fill_s = time.perf_counter() - started
                stored = size

                passes = _timed(planner.plan_due_jobs, args.passes)
                horizon = app.config["PLANNER_LOOKAHEAD_SECONDS"]
                plan = (
                    db.session.execute(
                        text(
                            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id, next_run_at FROM jobs "
                            "WHERE status = 'active' AND next_run_at IS NOT NULL "
                            f"AND next_run_at <= now() + interval '{horizon} seconds' "
                            "ORDER BY id LIMIT 500 FOR UPDATE OF jobs SKIP LOCKED"
                        )
                    )
                    .scalars()
                    .all()
                )
                db.session.rollback()
                size_mb = (
                    db.session.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
                    / 2**20
                )
            jobs_list = _timed(lambda: client.get("/api/v1/jobs", headers=headers), args.reads)
            dashboard = _timed(lambda: client.get("/api/v1/dashboard/stats", headers=headers), args.reads)
            result = {
                "stored_jobs": size,
                "fill_s": round(fill_s, 1),
                "planner_pass_ms": {
                    "p50": round(percentile(passes, 50) * 1000, 2),
                    "p90": round(percentile(passes, 90) * 1000, 2),
                },
                "get_jobs": _ms(jobs_list),
                "dashboard": _ms(dashboard),
                "database_mb": round(size_mb, 1),
                "planner_query_plan": plan,
            }
            results.append(result)
            print(json.dumps({k: v for k, v in result.items() if k != "planner_query_plan"}), flush=True)
            print("  planner's due-jobs query:\n    " + "\n    ".join(plan), flush=True)

        print(
            "\n| stored jobs | planner pass p50 / p90 | GET /jobs p50 / p99 | dashboard p50 / p99 | database |"
        )
        print("|---|---|---|---|---|")
        for r in results:
            print(
                f"| {r['stored_jobs']:,} | {r['planner_pass_ms']['p50']} / {r['planner_pass_ms']['p90']} ms "
                f"| {r['get_jobs']['p50_ms']} / {r['get_jobs']['p99_ms']} ms "
                f"| {r['dashboard']['p50_ms']} / {r['dashboard']['p99_ms']} ms | {r['database_mb']} MB |"
            )
        if args.json_path:
            Path(args.json_path).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
