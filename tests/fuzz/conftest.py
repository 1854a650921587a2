"""The fuzzers' stage: a live web process on a PostgreSQL database and a Redis database of its own.

Generated jobs name arbitrary URLs and e-mail addresses, so the server runs with NO consumer: jobs
are stored and queued, and nothing ever runs them (the teardown checks that no consumer ever
appeared and no execution ever started). Rate limits are off so the fuzzers are not throttled.
The database is dropped and the Redis database flushed afterwards.

Sizes: CI runs every fuzzer at `CHRONOS_FUZZ_EXAMPLES` (default `CI_EXAMPLES`) examples per test or
per operation; `make fuzz` sets it much higher and draws new random examples on every run.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis as redis_lib
from hypothesis import HealthCheck, settings

from conftest import PG_ADMIN_URL, REDIS_BASE, _claim_redis_db, _release_redis_db
from tests.live import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
CI_EXAMPLES = 100
EXAMPLES = int(os.environ.get("CHRONOS_FUZZ_EXAMPLES") or CI_EXAMPLES)
# CI replays the same examples on every run (a red build means the code changed, not the dice);
# a longer run (`make fuzz`) draws new ones each time, which is how it finds the next bug.
LONG_RUN = EXAMPLES > CI_EXAMPLES

settings.register_profile(
    "chronos-fuzz",
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not LONG_RUN,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
FUZZ_SETTINGS = settings.get_profile("chronos-fuzz")
# The in-process property tests are cheap (no network): four times as many examples.
PROPERTY_EXAMPLES = 4 * EXAMPLES
PROPERTY_SETTINGS = settings(FUZZ_SETTINGS, max_examples=PROPERTY_EXAMPLES)


@dataclass
class Tally:
    """What the fuzzers did in this run: reported at the end of the session."""

    cases: dict[str, int] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0  # setup, call and teardown of every test under tests/fuzz

    def count(self, suite: str, n: int = 1) -> None:
        self.cases[suite] = self.cases.get(suite, 0) + n


TALLY = Tally()


@pytest.fixture(scope="session")
def tally() -> Tally:
    return TALLY


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.nodeid.startswith("tests/fuzz/"):
        TALLY.seconds += report.duration


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TALLY.cases:
        return
    counts = ", ".join(f"{suite}: {n}" for suite, n in sorted(TALLY.cases.items()))
    terminalreporter.write_line(
        f"fuzz: {counts}; 5xx seen: {len(TALLY.server_errors)}; {EXAMPLES} examples per operation, "
        f"{PROPERTY_EXAMPLES} per property test; {TALLY.seconds:.0f} s in tests/fuzz"
    )


@dataclass
class LiveServer:
    url: str
    database_url: str
    log: Path
    proc: subprocess.Popen

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _server_env(database_url: str, redis_url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "HUEY_NAME": f"chronos-fuzz-{uuid.uuid4().hex[:8]}",
        "RATELIMIT_ENABLED": "false",
        # Nothing may be called, and nothing will (no consumer); an empty allow-list all the same.
        "HTTP_ALLOWLIST": "",
        "SMTP_HOST": "",
        "CHRONOS_DATA_DIR": str(data_dir),
        "PROMETHEUS_MULTIPROC_DIR": "",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """gunicorn serving Chronos on its own PostgreSQL and Redis databases, and no consumer at all."""
    name = f"chronos_fuzz_{uuid.uuid4().hex[:8]}"
    redis_db = _claim_redis_db()
    redis_url = f"{REDIS_BASE}/{redis_db}"
    database_url = (
        PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    )
    tmp = tmp_path_factory.mktemp("fuzz-server")
    env = _server_env(database_url, redis_url, tmp / "data")
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    redis_lib.Redis.from_url(redis_url).flushdb()
    log = tmp / "server.log"
    proc = None
    try:
        subprocess.run(
            [sys.executable, "-m", "chronos.cli", "migrate"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=120,
        )
        port = free_port()
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--config",
                    str(ROOT / "infra" / "gunicorn.conf.py"),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--no-control-socket",
                    "chronos.wsgi:app",
                ],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"http://127.0.0.1:{port}"
        wait_for(
            lambda: httpx.get(url + "/api/v1/health/live").status_code == 200,
            60,
            message="the fuzz server to answer",
        )
        server = LiveServer(url, database_url, log, proc)
        yield server
        _assert_nothing_ran(database_url)
        _assert_no_server_error(server)
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        redis_lib.Redis.from_url(redis_url).flushdb()
        _release_redis_db(redis_db)
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Executions written by `seed_history` (history as a worker would have left it), not by the server.
SEEDED_EXECUTIONS: list[int] = []


def seed_history(database_url: str, job_ids: list[int]) -> list[int]:
    """Give the fuzz user's jobs a history (attempts, logs, notifications) without running anything.

    Rows are written the way the engine writes them, so the responses that show them are fuzzed
    too; no consumer exists to make real ones.
    """
    from chronos import create_app
    from chronos.extensions import db
    from chronos.models import Execution, ExecutionLog, Job, Notification

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False})
    now = datetime.now(UTC)
    with app.app_context():
        for job_id in job_ids:
            job = db.session.get(Job, job_id)
            for n, status in enumerate(
                ("succeeded", "failed", "skipped", "cancelled", "retrying", "running")
            ):
                when = now - timedelta(hours=n + 1)
                finished = status in ("succeeded", "failed", "skipped", "cancelled")
                attempt = {
                    "attempt": 1,
                    "status": "failed" if status != "succeeded" else "succeeded",
                    "started_at": when.isoformat(),
                    "finished_at": (when + timedelta(seconds=1)).isoformat(),
                    "duration_ms": 1000,
                    "error": None if status == "succeeded" else "HTTP 503",
                    "http_status": 200 if status == "succeeded" else 503,
                }
                execution = Execution(
                    job_id=job.id,
                    owner_id=job.owner_id,
                    job_version=job.version,
                    scheduled_for=when,
                    trigger=("schedule", "manual", "catch_up")[n % 3],
                    status=status,
                    attempt=1 if status not in ("skipped", "cancelled") else 0,
                    started_at=when if status not in ("skipped", "cancelled") else None,
                    finished_at=when + timedelta(seconds=1) if finished else None,
                    duration_ms=1000 if status in ("succeeded", "failed") else None,
                    next_attempt_at=now + timedelta(minutes=5) if status == "retrying" else None,
                    result={
                        "http_status": 200,
                        "headers": {"Content-Type": "text/plain"},
                        "body_excerpt": "ok",
                        "url": "https://example.org/hook",
                    }
                    if status == "succeeded"
                    else None,
                    error="HTTP 503 Service Unavailable" if status in ("failed", "retrying") else None,
                    reason={"skipped": "missed", "cancelled": "stale"}.get(status),
                    missed_count=3 if status == "skipped" else None,
                    attempts=[attempt] if status in ("succeeded", "failed", "retrying") else [],
                )
                db.session.add(execution)
                db.session.flush()
                SEEDED_EXECUTIONS.append(execution.id)
                for level, message, data in (
                    ("info", "Calling https://example.org/hook", {"method": "PUT"}),
                    ("warning", "Slow answer", None),
                    ("error", "HTTP 503", {"status": 503, "nested": {"a": [1]}}),
                ):
                    db.session.add(
                        ExecutionLog(
                            execution_id=execution.id, attempt=1, level=level, message=message, data=data
                        )
                    )
                if status == "failed":
                    for channel, recipient, sent in (
                        ("email", "ops@example.org", "sent"),
                        ("webhook", "https://example.org/notify", "failed"),
                    ):
                        db.session.add(
                            Notification(
                                execution_id=execution.id,
                                job_id=job.id,
                                owner_id=job.owner_id,
                                channel=channel,
                                recipient=recipient,
                                status=sent,
                                tries=1,
                                error="HTTP 500" if sent == "failed" else None,
                                sent_at=now if sent == "sent" else None,
                            )
                        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return list(SEEDED_EXECUTIONS)


def _assert_nothing_ran(database_url: str) -> None:
    """No consumer ever ran against the fuzz database, and no execution it did not seed ever started."""
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        consumers = conn.execute("SELECT count(*) FROM worker_heartbeats").fetchone()
        started = conn.execute(
            # `waiting` (a backfill's rows, held by a limit) has not started either.
            "SELECT count(*) FROM executions WHERE (started_at IS NOT NULL "
            "OR status NOT IN ('pending', 'waiting')) AND NOT id = ANY(%s)",
            (SEEDED_EXECUTIONS,),
        ).fetchone()
    assert consumers == (0,), "a consumer ran against the fuzz database"
    assert started == (0,), "an execution started: something ran a generated job"


# gunicorn's access log line ends with `"METHOD /path HTTP/1.1" STATUS SIZE ...`.
_ACCESS_STATUS = re.compile(r'"[A-Z]+ [^"]*" (5\d\d) ')


def _assert_no_server_error(server: LiveServer) -> None:
    """A 5xx anywhere fails the run, even one no check saw: the access log and tracebacks say."""
    text = server.log_text()
    errors = [line for line in text.splitlines() if _ACCESS_STATUS.search(line)]
    TALLY.server_errors.extend(errors)
    assert not errors, "the fuzz server answered 5xx:\n" + "\n".join(errors[:20])
    assert "Traceback" not in text and "Unhandled error" not in text, text[-4000:]
