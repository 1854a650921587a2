"""Fixtures for deployment tests: an empty database of their own, process launching, an API client."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from conftest import PG_ADMIN_URL

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "correct horse battery"


@pytest.fixture
def stack_env(tmp_path) -> Iterator[dict[str, str]]:
    """Environment for a stack on an empty PostgreSQL database (migrations must build it)."""
    name = f"chronos_deploy_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    yield {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DATABASE_URL": PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        + f"/{name}",
        "HUEY_NAME": f"chronos-deploy-{uuid.uuid4().hex[:8]}",
        "HTTP_ALLOWLIST": "127.0.0.1",
        "RATELIMIT_ENABLED": "false",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "CHRONOS_DATA_DIR": str(tmp_path / "data"),
        "WEB_CONCURRENCY": "2",
        "CHRONOS_WORKERS": "2",
    }
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Processes:
    """Starts commands in their own process groups, logging to files; stops them all at the end."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, command: str | list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 - the child writes to it until it exits
        proc = subprocess.Popen(
            command,
            shell=isinstance(command, str),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append((name, proc))
        return proc

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
            for p in sorted(self.log_dir.glob("*.log"))
        )

    def stop(self, proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        return proc.returncode

    def stop_all(self) -> None:
        for _, proc in self.procs:
            self.stop(proc, signal.SIGKILL)


@pytest.fixture
def processes(tmp_path) -> Iterator[Processes]:
    manager = Processes(tmp_path)
    yield manager
    manager.stop_all()


class Client:
    """A signed-in API user on one web instance."""

    def __init__(self, base_url: str, email: str) -> None:
        self.http = httpx.Client(base_url=base_url + "/api/v1", timeout=10)
        self.http.post("/auth/register", json={"email": email, "password": PASSWORD})
        token = self.http.post("/auth/login", json={"email": email, "password": PASSWORD}).json()
        self.http.headers["Authorization"] = f"Bearer {token['access_token']}"

    def create_job(self, **job: Any) -> dict[str, Any]:
        response = self.http.post("/jobs", json=job)
        assert response.status_code == 201, response.text
        return response.json()

    def executions(self, job_id: int) -> list[dict[str, Any]]:
        return self.http.get(f"/jobs/{job_id}/executions", params={"limit": 100}).json()["items"]


def one_time_http_job(url: str, run_at: datetime, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "job_type": "one_time",
        "schedule_type": "once",
        "handler": "http",
        "run_at": run_at.isoformat(),
        "target": {"url": url, "method": "POST"},
        "max_retries": 0,
    }


def in_seconds(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)
