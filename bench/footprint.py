"""The embedded default's footprint: `chronos serve` (SQLite, no Redis) while its jobs fire.

    .venv/bin/python bench/footprint.py [--jobs 500] [--interval 10] [--seconds 60]

It starts `chronos serve` as a new user would (no DATABASE_URL, no REDIS_URL; a data directory of
its own), registers, creates `--jobs` `http` interval jobs every `--interval` seconds calling a
loopback receiver (`fast_receiver.py`), lets them fire for `--seconds`, and prints the memory of
the whole process tree (the supervisor, gunicorn, the consumer): proportional set size (PSS:
shared pages counted once) and RSS, with what arrived and how late. Loopback only.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

import httpx

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from common import Subprocesses, percentile, raise_on_sigterm
from steady import FastReceiver, memory_mb, process_tree

PASSWORD = "bench-password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--interval", type=int, default=10, help="seconds between a job's runs (at least 10)")
    parser.add_argument("--seconds", type=float, default=60, help="how long they fire before measuring")
    args = parser.parse_args(argv)
    raise_on_sigterm()
    workdir = Path(tempfile.mkdtemp(prefix="chronos-footprint-"))
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "HUEY_NAME", "PROMETHEUS_MULTIPROC_DIR")
    }
    port = _free_port()
    env.update(
        {
            "CHRONOS_DATA_DIR": str(workdir / "data"),
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hs256",
            "RATELIMIT_ENABLED": "false",
            "HTTP_ALLOWLIST": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
        }
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    with Subprocesses(workdir) as children:
        receiver = FastReceiver(children, workdir)
        serve = children.start(
            "serve",
            [sys.executable, "-m", "chronos.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
        )
        deadline = time.time() + 60
        while True:
            children.check()
            try:
                if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                raise RuntimeError("chronos serve did not become ready")
            time.sleep(0.3)
        idle_pss, idle_rss = memory_mb(process_tree(serve.pid))
        body = {"email": "footprint@example.com", "password": PASSWORD}
        httpx.post(f"{base}/auth/register", json=body).raise_for_status()
        token = httpx.post(f"{base}/auth/login", json=body).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        jobs = [
            {
                "name": f"footprint {i}",
                "schedule_type": "interval",
                "interval_seconds": args.interval,
                "handler": "http",
                "target": {"url": receiver.url, "method": "POST"},
                "payload": {"i": i},
            }
            for i in range(args.jobs)
        ]
        httpx.post(f"{base}/jobs/batch", json={"jobs": jobs}, headers=headers, timeout=60).raise_for_status()
        time.sleep(args.seconds / 2)
        receiver.skip_to_end()
        started = time.time()
        time.sleep(args.seconds / 2)
        records = receiver.records()
        children.check()
        pss, rss = memory_mb(process_tree(serve.pid))
        each = [(" ".join(proc.cmdline()[1:4]), *memory_mb([proc])) for proc in process_tree(serve.pid)]
        elapsed = time.time() - started
        late = [arrival - slot for arrival, _job, slot, _id in records if slot is not None]
        duplicates = len(records) - len({(job, slot) for _arrival, job, slot, _id in records})
        print(f"chronos serve (SQLite, no Redis): {args.jobs} jobs every {args.interval} s")
        print(f"  idle after start:  PSS {idle_pss:.0f} MB, RSS {idle_rss:.0f} MB")
        print(f"  while firing:      PSS {pss:.0f} MB, RSS {rss:.0f} MB (supervisor, web, consumer)")
        for command, one_pss, one_rss in each:
            print(f"    {command[:60]:60} PSS {one_pss:5.0f} MB, RSS {one_rss:5.0f} MB")
        if late:
            print(
                f"  {len(records)} calls arrived in {elapsed:.0f} s, {duplicates} duplicated; "
                f"lateness p50 {percentile(late, 50) * 1000:.0f} ms, p99 {percentile(late, 99) * 1000:.0f} ms "
                "(the jobs, created at once, fire together every interval)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
