"""The API under load: creating jobs with concurrent clients, in bulk, and reading while they fire.

    .venv/bin/python bench/api.py [--clients 16] [--seconds 20] [--batch-size 1000] [--batches 5]
        [--web-workers 2] [--threads 4] [--json PATH]

A real gunicorn (the project's `infra/gunicorn.conf.py`) on a database of its own; no consumer, so
nothing fires. It prints, side by side in one run:

* one job per request: `--clients` threads, each with its own keep-alive connection, creating
  jobs for `--seconds`: jobs/s and request latency p50 / p99;
* in bulk: `POST /jobs/batch` with `--batch-size` jobs per request (when the route exists): jobs/s;
* reads: `GET /jobs` and `GET /dashboard/stats` latency p50 / p99 with the stored jobs;
* the web's memory: proportional set size (PSS) of gunicorn's processes.

PostgreSQL and Redis on 127.0.0.1 as for the tests; everything it creates is dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from common import Subprocesses, claimed_redis_db, percentile, raise_on_sigterm
from firing import own_database
from steady import memory_mb, process_tree

PASSWORD = "bench-password"


def _job(i: int) -> dict[str, Any]:
    return {
        "name": f"api bench {i}",
        "schedule_type": "interval",
        "interval_seconds": 3600,
        "handler": "http",
        "target": {"url": "https://example.org/hook", "method": "POST", "headers": {"X-Token": "t"}},
        "payload": {"i": i},
    }


def _ms(values: list[float]) -> dict[str, float | None]:
    return {
        "p50_ms": round(percentile(values, 50) * 1000, 1) if values else None,
        "p99_ms": round(percentile(values, 99) * 1000, 1) if values else None,
    }


def create_one_by_one(base: str, headers: dict[str, str], clients: int, seconds: float) -> dict[str, Any]:
    """`clients` threads creating jobs for `seconds`: jobs/s and latency."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    counter = iter(range(10**9))

    def worker() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                response = client.post("/jobs", json=_job(next(counter)))
                elapsed = time.perf_counter() - started
                with lock:
                    if response.status_code == 201:
                        latencies.append(elapsed)
                    else:
                        errors.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    begun = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - begun
    return {
        "what": f"POST /jobs, {clients} clients",
        "jobs_per_s": round(len(latencies) / took, 1),
        **_ms(latencies),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


def create_in_bulk(base: str, headers: dict[str, str], size: int, batches: int) -> dict[str, Any]:
    """`batches` requests of `size` jobs each through POST /jobs/batch: jobs/s."""
    latencies: list[float] = []
    created = 0
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        for b in range(batches):
            body = {"jobs": [_job(b * size + i) for i in range(size)]}
            started = time.perf_counter()
            response = client.post("/jobs/batch", json=body)
            latencies.append(time.perf_counter() - started)
            if response.status_code == 404:
                return {"what": "POST /jobs/batch", "note": "no such route"}
            if response.status_code != 201:
                return {"what": "POST /jobs/batch", "note": f"{response.status_code} {response.text[:200]}"}
            created += size
    return {
        "what": f"POST /jobs/batch, {size} per request",
        "jobs_per_s": round(created / sum(latencies), 1),
        **_ms(latencies),
        "errors": 0,
    }


def reads(base: str, headers: dict[str, str], path: str, n: int = 200) -> dict[str, Any]:
    """Latency of `n` sequential GETs of `path`."""
    latencies: list[float] = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for _ in range(n):
            started = time.perf_counter()
            response = client.get(path)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                return {"what": f"GET {path}", "note": f"{response.status_code} {response.text[:200]}"}
    return {"what": f"GET {path}", **_ms(latencies), "errors": 0}


def main(argv: list[str] | None = None) -> int:
    """CLI: one line per measurement."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args(argv)
    raise_on_sigterm()
    rows: list[dict[str, Any]] = []
    workdir = Path(f"/tmp/chronos-api-bench-{uuid.uuid4().hex[:6]}")
    with claimed_redis_db() as redis_url, own_database() as database_url, Subprocesses(workdir) as children:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "HUEY_NAME": f"chronos-api-bench-{uuid.uuid4().hex[:6]}",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hs256",
            "RATELIMIT_ENABLED": "false",
            "CHRONOS_DATA_DIR": str(workdir / "data"),
            "LOG_LEVEL": "WARNING",
            "GUNICORN_ACCESS_LOG": "/dev/null",
            "WEB_CONCURRENCY": str(args.web_workers),
            "GUNICORN_THREADS": str(args.threads),
        }
        bin_dir = Path(sys.executable).parent
        migrate = children.start("migrate", [str(bin_dir / "chronos"), "migrate"], env=env, cwd=ROOT)
        if migrate.wait(timeout=120) != 0:
            raise RuntimeError("migrations failed")
        port = 18000 + os.getpid() % 1000
        web = children.start(
            "web",
            [
                str(bin_dir / "gunicorn"),
                "-c",
                "infra/gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "chronos.wsgi:app",
            ],
            env=env,
            cwd=ROOT,
        )
        base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(base + "/health/live", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.time() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        body = {"email": "api-bench@example.com", "password": PASSWORD}
        httpx.post(base + "/auth/register", json=body)
        token = httpx.post(base + "/auth/login", json=body).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        # Warm every gunicorn worker and thread before measuring.
        create_one_by_one(base, headers, args.clients, 2)
        rows.append(create_one_by_one(base, headers, args.clients, args.seconds))
        rows.append(create_in_bulk(base, headers, args.batch_size, args.batches))
        rows.append(reads(base, headers, "/jobs"))
        rows.append(reads(base, headers, "/dashboard/stats"))
        pss, rss = memory_mb(process_tree(web.pid))
        rows.append(
            {
                "what": f"web memory ({args.web_workers} workers x {args.threads} threads)",
                "pss_mb": pss,
                "rss_mb": rss,
            }
        )
    for row in rows:
        print(json.dumps(row))
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
