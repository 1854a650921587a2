"""Sustained load: thousands of interval jobs whose slots are spread over time, fired for minutes.

    .venv/bin/python bench/steady.py --rates 50,200,500,1000,2000 [--interval 10] [--window 60]
        [--warmup 20] [--consumers 1] [--workers 4] [--worker-type process|thread] [--via models|api]
        [--compare apscheduler,celery] [--keep-last N] [--reads] [--json PATH]

For each rate R it makes N = R × interval `http` jobs, every `interval` seconds each, their phases
spread uniformly over the interval (job i first fires at start + i·interval/N), so R slots fall due
every second, one at a time — the workload most users have, unlike `firing.py`'s bursts. Real
consumers (`python -m chronos.worker`) fire them at `fast_receiver.py`, a loopback receiver in its
own process. After a warm-up, a window of `--window` seconds is measured:

* missed — slots due in the window (every job's, by its interval) that never arrived;
* duplicated — slots that arrived more than once;
* lateness — arrival − slot time, p50 / p99 / max over the window's arrivals;
* delivered/s, and CPU seconds per process group (consumer with its workers, PostgreSQL, Redis,
  the receiver) over the window, as a share of one core and as CPU milliseconds per firing;
* memory: the consumer's proportional set size (PSS: shared pages counted once), and RSS.

`--reads` also times `GET /jobs` and `GET /dashboard/stats` (through the app in the benchmark's
process, on the same database) while the jobs fire.

`--keep-last N` makes it a soak: every job keeps at most N runs (retention), and the size of the
history (execution rows; executions and their logs on disk) is printed every minute, to show it
stays flat once the retention pass (every minute) applies:

    .venv/bin/python bench/steady.py --rates 200 --window 1200 --keep-last 20 --worker-type thread

`--compare` runs the same jobs on APScheduler (interval jobs in memory, an asyncio scheduler and
aiohttp) and on Celery beat (the same entries, phases kept, a prefork worker), on the same receiver
(`peers_steady.py`). PostgreSQL and Redis on 127.0.0.1 as for the tests; a database and a Redis
database of its own, removed at the end. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from common import Subprocesses, claimed_redis_db, percentile, print_table, raise_on_sigterm
from firing import own_database

COLUMNS = (
    "system",
    "rate",
    "jobs",
    "delivered_per_s",
    "missed",
    "missed_pct",
    "duplicates",
    "p50_ms",
    "p99_ms",
    "max_ms",
    "cpu_ms_per_firing",
    "cpu_system",
    "cpu_postgres",
    "cpu_redis",
    "cpu_receiver",
    "pss_mb",
)
PASSWORD = "bench-password"


# --- the receiver and what it recorded ----------------------------------------------------------


class FastReceiver:
    """`fast_receiver.py` in a child process; `records()` reads what it has written so far."""

    def __init__(self, children: Subprocesses, workdir: Path) -> None:
        self.port_file = workdir / f"receiver-{uuid.uuid4().hex[:6]}.port"
        self.record_file = workdir / f"receiver-{uuid.uuid4().hex[:6]}.log"
        self.record_file.touch()
        self.process = children.start(
            "receiver",
            [sys.executable, str(BENCH_DIR / "fast_receiver.py"), str(self.port_file), str(self.record_file)],
        )
        deadline = time.time() + 15
        while not self.port_file.exists() or not self.port_file.read_text():
            children.check()
            if time.time() > deadline:
                raise RuntimeError("the receiver did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port_file.read_text()}/hook"
        self._offset = 0

    def skip_to_end(self) -> None:
        """Forget what arrived so far (the warm-up)."""
        time.sleep(0.3)  # the receiver flushes every 0.2 s
        self._offset = self.record_file.stat().st_size

    def records(self) -> list[tuple[float, str, float | None, str]]:
        """(arrival, job id, slot epoch or None, execution id) of every request since `skip_to_end`."""
        time.sleep(0.3)
        rows = []
        with open(self.record_file) as log:
            log.seek(self._offset)
            for line in log:
                arrived, job, slot, execution = line.split()
                rows.append((float(arrived), job, None if slot == "-" else float(slot), execution))
        return rows


# --- CPU and memory by process group -------------------------------------------------------------


class CpuMeter:
    """CPU seconds of each process group between `start()` and `stop()` (children included)."""

    def __init__(self, groups: dict[str, Any]) -> None:
        self.groups = groups  # name → callable returning the current list of psutil.Process

    @staticmethod
    def _cpu(processes: list[Any]) -> float:
        import psutil

        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
        return total

    def start(self) -> None:
        self.started = time.time()
        self.before = {name: self._per_process(find()) for name, find in self.groups.items()}

    @classmethod
    def _per_process(cls, processes: list[Any]) -> dict[int, float]:
        return {process.pid: cls._cpu([process]) for process in processes}

    def stop(self) -> dict[str, float]:
        """Each group's CPU over the window as a share of one core."""
        elapsed = time.time() - self.started
        shares = {}
        for name, find in self.groups.items():
            before = self.before[name]
            # A process that appeared during the window (a new PostgreSQL backend) counts from zero.
            used = sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in self._per_process(find()).items())
            shares[name] = used / elapsed
        return shares


def process_tree(pid: int) -> list[Any]:
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def processes_named(name: str) -> list[Any]:
    import psutil

    return [p for p in psutil.process_iter(["name"]) if p.info["name"] and p.info["name"].startswith(name)]


def memory_mb(processes: list[Any]) -> tuple[float, float]:
    """(PSS, RSS) in MB summed over `processes`."""
    import psutil

    pss = rss = 0
    for process in processes:
        try:
            info = process.memory_full_info()
            pss += info.pss
            rss += info.rss
        except psutil.Error:
            pass
    return round(pss / 2**20, 1), round(rss / 2**20, 1)


# --- judging a window ----------------------------------------------------------------------------


def judge(
    records: list[tuple[float, str, float | None, str]],
    phases: dict[str, float],
    interval: float,
    window: tuple[float, float],
) -> dict[str, Any]:
    """Missed, duplicated and late slots of the jobs (job id → first slot epoch) inside `window`."""
    start, end = window
    expected: set[tuple[str, float]] = set()
    for job, first in phases.items():
        k = max(0, int((start - first) // interval))
        slot = first + k * interval
        while slot < end:
            if slot >= start:
                expected.add((job, round(slot, 3)))
            slot += interval
    seen: Counter[tuple[str, float]] = Counter()
    lateness = []
    by_minute: dict[int, list[float]] = {}
    for arrived, job, slot, _ in records:
        if slot is None:
            continue
        key = (job, round(slot, 3))
        if key in expected:
            seen[key] += 1
            if seen[key] == 1:
                lateness.append(arrived - slot)
                by_minute.setdefault(int((slot - start) // 60), []).append(arrived - slot)
    missed = len(expected) - len(seen)
    ms = lambda v: round(v * 1000, 1)
    return {
        "expected": len(expected),
        "missed": missed,
        "missed_pct": round(100 * missed / len(expected), 2) if expected else None,
        "duplicates": sum(count - 1 for count in seen.values()),
        "delivered_per_s": round(len(seen) / (end - start), 1),
        "p50_ms": ms(percentile(lateness, 50)) if lateness else None,
        "p99_ms": ms(percentile(lateness, 99)) if lateness else None,
        "max_ms": ms(max(lateness)) if lateness else None,
        "by_minute": {
            minute: (ms(percentile(values, 50)), ms(percentile(values, 99)))
            for minute, values in sorted(by_minute.items())
        },
    }


# --- Chronos -------------------------------------------------------------------------------------


class Chronos:
    """The app in this process (to make jobs) and its consumers as children."""

    def __init__(self, args: argparse.Namespace, children: Subprocesses) -> None:
        from chronos import create_app
        from chronos.extensions import db

        self.args = args
        self.children = children
        self.app = create_app({"RATELIMIT_ENABLED": False})
        with self.app.app_context():
            db.create_all()
        self.client = self.app.test_client()
        body = {"email": "steady@example.com", "password": PASSWORD}
        self.client.post("/api/v1/auth/register", json=body)
        token = self.client.post("/api/v1/auth/login", json=body).get_json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}
        # The reads while firing use an API key: an access token expires (15 minutes) mid-soak.
        workspace = self.client.get("/api/v1/workspaces", headers=self.headers).get_json()["items"][0]["id"]
        key = self.client.post(
            f"/api/v1/workspaces/{workspace}/api-keys",
            json={"name": "reads", "role": "viewer"},
            headers=self.headers,
        ).get_json()["key"]
        self.read_headers = {"Authorization": f"Bearer {key}"}

    def reset(self) -> None:
        from sqlalchemy import text

        from chronos.extensions import db, huey

        with self.app.app_context():
            db.session.execute(
                text("TRUNCATE execution_logs, notifications, executions, jobs RESTART IDENTITY CASCADE")
            )
            db.session.commit()
            db.session.remove()
        huey.flush()

    def make_jobs(self, n: int, interval: int, url: str, start: float) -> dict[str, float]:
        """n interval jobs with phases spread over the interval; job id → first slot (epoch)."""
        from sqlalchemy import insert, select

        from chronos.extensions import db
        from chronos.models import Job, User, Workspace

        phases = [start + i * interval / n for i in range(n)]
        target = {"url": url, "method": "POST"}
        if self.args.via == "api":
            ids = []
            for i in range(len(phases)):
                response = self.client.post(
                    "/api/v1/jobs",
                    headers=self.headers,
                    json={
                        "name": f"steady {i}",
                        "schedule_type": "interval",
                        "interval_seconds": interval,
                        "handler": "http",
                        "target": target,
                        "max_retries": 0,
                        "notify_on_failure": False,
                    },
                )
                if response.status_code != 201:
                    raise RuntimeError(f"creating job {i}: {response.status_code} {response.get_json()}")
                ids.append(response.get_json()["id"])
            # The API starts an interval one interval from now; set each job's phase as planned.
            from sqlalchemy import update

            with self.app.app_context():
                for job_id, first in zip(ids, phases, strict=False):
                    db.session.execute(
                        update(Job)
                        .where(Job.id == job_id)
                        .values(next_run_at=datetime.fromtimestamp(first, UTC), planned_until=None)
                    )
                db.session.commit()
                db.session.remove()
            return {str(job_id): first for job_id, first in zip(ids, phases, strict=False)}
        with self.app.app_context():
            owner_id = db.session.scalar(select(User.id))
            workspace_id = Workspace.personal_id(owner_id)
            now = datetime.now(UTC)
            rows = [
                {
                    "owner_id": owner_id,
                    "workspace_id": workspace_id,
                    "name": f"steady {i}",
                    "description": "",
                    "job_type": "recurring",
                    "schedule_type": "interval",
                    "interval_seconds": interval,
                    "next_run_at": datetime.fromtimestamp(first, UTC),
                    "timezone": "UTC",
                    "handler": "http",
                    "target": target,
                    "payload": None,
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
                for i, first in enumerate(phases)
            ]
            for chunk in range(0, len(rows), 5000):
                db.session.execute(insert(Job), rows[chunk : chunk + 5000])
            db.session.commit()
            ids = list(db.session.scalars(select(Job.id).order_by(Job.id)))
            db.session.remove()
        return {str(job_id): first for job_id, first in zip(ids, phases, strict=False)}

    def keep_last(self, keep: int) -> None:
        """Give every job `keep_last` (retention): its history stays at most `keep` runs."""
        from sqlalchemy import update

        from chronos.extensions import db
        from chronos.models import Job

        with self.app.app_context():
            db.session.execute(update(Job).values(keep_last=keep))
            db.session.commit()
            db.session.remove()

    def history_size(self) -> tuple[int, float]:
        """Execution rows, and the on-disk size of executions and their logs (MB, indexes included)."""
        from sqlalchemy import text

        from chronos.extensions import db

        with self.app.app_context():
            count = db.session.execute(text("SELECT count(*) FROM executions")).scalar_one()
            size = db.session.execute(
                text("SELECT pg_total_relation_size('executions') + pg_total_relation_size('execution_logs')")
            ).scalar_one()
            db.session.remove()
        return int(count), size / 2**20

    def start_consumers(self) -> list[int]:
        pids = []
        for i in range(self.args.consumers):
            process = self.children.start(
                f"chronos-consumer-{i}",
                [
                    sys.executable,
                    "-m",
                    "chronos.worker",
                    "-w",
                    str(self.args.workers),
                    "-k",
                    self.args.worker_type,
                ],
                env=os.environ,
                cwd=ROOT,
            )
            pids.append(process.pid)
        return pids

    def stop_consumers(self) -> None:
        self.children.stop_named("chronos-consumer")


def run_chronos(
    args: argparse.Namespace, chronos: Chronos, receiver: FastReceiver, rate: int, redis_pid_finder: Any
) -> dict[str, Any]:
    n = rate * args.interval
    chronos.reset()
    start = time.time() + 5 + n / 20000
    phases = chronos.make_jobs(n, args.interval, receiver.url, start)
    if args.keep_last:
        chronos.keep_last(args.keep_last)
    pids = chronos.start_consumers()
    try:
        time.sleep(max(0.0, start - time.time()) + args.warmup)
        chronos.children.check()
        receiver.skip_to_end()
        meter = CpuMeter(
            {
                "system": lambda: [p for pid in pids for p in process_tree(pid)],
                "postgres": lambda: processes_named("postgres"),
                "redis": redis_pid_finder,
                "receiver": lambda: process_tree(receiver.process.pid),
            }
        )
        meter.start()
        window = (time.time(), time.time() + args.window)
        if args.profile:
            _profile(args, pids[0], f"chronos-{rate}")
        memory = []
        sizes: list[tuple[float, int, float]] = []
        reads = ReadSampler(chronos, window[1]) if args.reads else None
        while time.time() < window[1]:
            time.sleep(min(5.0, max(0.0, window[1] - time.time())))
            memory.append(memory_mb([p for pid in pids for p in process_tree(pid)]))
            if args.keep_last and (not sizes or time.time() - window[0] - sizes[-1][0] >= 60):
                sizes.append((time.time() - window[0], *chronos.history_size()))
                print(
                    f"  soak {sizes[-1][0] / 60:5.1f} min: {sizes[-1][1]:,} executions, "
                    f"{sizes[-1][2]:.1f} MB (executions + logs)",
                    flush=True,
                )
        cpu = meter.stop()
        if reads is not None:
            reads.report()
        # Slots due near the window's end may still be on their way.
        time.sleep(min(30.0, 2.0 + args.interval))
        records = receiver.records()
    finally:
        chronos.stop_consumers()
    row = judge(records, phases, args.interval, window)
    if args.keep_last:
        for minute, (p50, p99) in row["by_minute"].items():
            print(f"  lateness in minute {minute}: p50 {p50} ms, p99 {p99} ms", flush=True)
    return _row("chronos", rate, n, row, cpu, max(memory) if memory else (None, None))


class ReadSampler:
    """Reads while the jobs fire: `GET /jobs` (a page) and `GET /dashboard/stats`, one every 0.25 s
    in turn, through the app in this process (the database is the shared one; no web server)."""

    PATHS = ("/api/v1/jobs?limit=20", "/api/v1/dashboard/stats")

    def __init__(self, chronos: Chronos, until: float) -> None:
        import threading

        self.chronos = chronos
        self.until = until
        self.latencies: dict[str, list[float]] = {path: [] for path in self.PATHS}
        self.errors: Counter[int] = Counter()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        turn = 0
        while time.time() < self.until:
            path = self.PATHS[turn % len(self.PATHS)]
            turn += 1
            started = time.perf_counter()
            response = self.chronos.client.get(path, headers=self.chronos.read_headers)
            elapsed = time.perf_counter() - started
            if response.status_code == 200:
                self.latencies[path].append(elapsed)
            else:  # not timed: an error answer is fast, and would flatter the figures
                self.errors[response.status_code] += 1
            time.sleep(0.25)

    def report(self) -> None:
        self.thread.join(timeout=30)
        for path, values in self.latencies.items():
            if values:
                print(
                    f"  while firing: GET {path.split('?')[0].removeprefix('/api/v1')} "
                    f"p50 {percentile(values, 50) * 1000:.1f} ms, p99 {percentile(values, 99) * 1000:.1f} ms "
                    f"({len(values)} answered; errors by status: {dict(self.errors) or 'none'})",
                    flush=True,
                )


def _profile(args: argparse.Namespace, pid: int, name: str) -> None:
    """Record the consumer (and its workers) with py-spy over the window, as a flame graph and a
    speedscope file in `--profile`."""
    import shutil
    import subprocess

    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    out = Path(args.profile)
    out.mkdir(parents=True, exist_ok=True)
    for fmt, suffix in (("flamegraph", "svg"), ("speedscope", "json")):
        subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(pid),
                "--subprocesses",
                "--duration",
                str(int(args.window) // 2),
                "--format",
                fmt,
                "--rate",
                "50",
                "--nonblocking",
                *(["--gil"] if args.profile_gil else []),
                "--output",
                str(out / f"{name}.{suffix}"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def _row(
    system: str,
    rate: int,
    n: int,
    judged: dict[str, Any],
    cpu: dict[str, float],
    memory: tuple[float | None, float | None],
) -> dict[str, Any]:
    delivered = judged["delivered_per_s"] or 0
    total_cpu = cpu.get("system", 0) + cpu.get("postgres", 0) + cpu.get("redis", 0)
    return {
        "system": system,
        "rate": rate,
        "jobs": n,
        **{key: value for key, value in judged.items() if key != "by_minute"},
        "cpu_system": round(cpu.get("system", 0), 2),
        "cpu_postgres": round(cpu.get("postgres", 0), 2),
        "cpu_redis": round(cpu.get("redis", 0), 2),
        "cpu_receiver": round(cpu.get("receiver", 0), 2),
        "cpu_ms_per_firing": round(1000 * total_cpu / delivered, 2) if delivered else None,
        "pss_mb": memory[0],
        "rss_mb": memory[1],
    }


def main(argv: list[str] | None = None) -> int:
    """CLI: one table row per rate (and per compared system)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="50,200,500,1000,2000", help="firings per second to try")
    parser.add_argument("--interval", type=int, default=10, help="every job's interval, seconds (default 10)")
    parser.add_argument("--window", type=float, default=60, help="measured seconds per rate (default 60)")
    parser.add_argument("--warmup", type=float, default=20, help="seconds before measuring (default 20)")
    parser.add_argument("--consumers", type=int, default=1)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-type", choices=("thread", "process"), default="process")
    parser.add_argument(
        "--via",
        choices=("models", "api"),
        default="models",
        help="make the jobs with the models (default, quick) or through the REST API",
    )
    parser.add_argument("--compare", default="", help="also run the peers: apscheduler,celery")
    parser.add_argument("--json", dest="json_path")
    parser.add_argument(
        "--reads", action="store_true", help="also time GET /jobs and /dashboard/stats while the jobs fire"
    )
    parser.add_argument(
        "--keep-last",
        type=int,
        default=0,
        help="a soak: give every job keep_last=N (retention) and print the history's size every minute",
    )
    parser.add_argument(
        "--profile", help="record the consumer with py-spy during each window, into this folder"
    )
    parser.add_argument(
        "--profile-gil",
        action="store_true",
        help="with --profile: sample only the thread holding the GIL (where a thread consumer's CPU goes)",
    )
    args = parser.parse_args(argv)
    rates = [int(r) for r in args.rates.split(",") if r.strip()]
    raise_on_sigterm()
    rows: list[dict[str, Any]] = []
    workdir = Path(tempfile.mkdtemp(prefix="chronos-steady-"))
    with claimed_redis_db() as redis_url, own_database() as database_url, Subprocesses(workdir) as children:
        os.environ.update(
            {
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "HUEY_NAME": f"chronos-steady-{uuid.uuid4().hex[:6]}",
                "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hs256",
                "RATELIMIT_ENABLED": "false",
                "CHRONOS_DATA_DIR": str(workdir / "data"),
                "HTTP_ALLOWLIST": "127.0.0.1",
                "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
            }
        )
        receiver = FastReceiver(children, workdir)
        redis_finder = lambda: processes_named("redis-server")
        chronos = Chronos(args, children)
        for rate in rates:
            print(f"running chronos at {rate}/s ...", file=sys.stderr, flush=True)
            rows.append(run_chronos(args, chronos, receiver, rate, redis_finder))
            print_table(rows[-1:], COLUMNS, file=sys.stderr)
        compared = [s.strip() for s in args.compare.split(",") if s.strip()]
        if compared:
            from peers_steady import run_peer

            for name in compared:
                for rate in rates:
                    print(f"running {name} at {rate}/s ...", file=sys.stderr, flush=True)
                    judged, cpu, memory = run_peer(
                        name,
                        rate,
                        args,
                        receiver,
                        children,
                        redis_url,
                        judge,
                        CpuMeter,
                        process_tree,
                        redis_finder,
                        memory_mb,
                    )
                    rows.append(_row(name, rate, rate * args.interval, judged, cpu, memory))
                    print_table(rows[-1:], COLUMNS, file=sys.stderr)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"# {args.consumers} consumer(s) x {args.workers} {args.worker_type} workers; interval "
        f"{args.interval} s, window {args.window:.0f} s after {args.warmup:.0f} s; {os.cpu_count()} cores, "
        f"load average at the end: {load}"
    )
    print(
        "# cpu_* columns: share of one core over the window; cpu_ms_per_firing counts the system, "
        "PostgreSQL and Redis (not the receiver)"
    )
    print_table(rows, COLUMNS)
    if args.json_path:
        Path(args.json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_path).write_text(json.dumps(rows, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
