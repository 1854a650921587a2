"""Engine fixtures: real `python -m chronos.worker` processes (the receiver is in tests/conftest.py)."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


# Short leases, backoffs and graces so the guarantees are proven in seconds, not minutes.
CONSUMER_ENV = {
    "HTTP_ALLOWLIST": "127.0.0.1",
    "CHRONOS_HANDLER_MODULES": "tests.engine.sample_handlers",
    "LEASE_GRACE_SECONDS": "2",
    "RECOVERY_GRACE_SECONDS": "2",
    "MIN_INTERVAL_SECONDS": "1",
    "RATELIMIT_ENABLED": "false",
    "LOG_LEVEL": "INFO",
}


class Consumers:
    """Starts and stops real consumer processes; kills whatever is left at the end."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen] = []

    def start(self, workers: int = 2, extra_env: dict[str, str] | None = None,
              periodic: bool = True, stock: bool = False) -> subprocess.Popen:
        """Start `python -m chronos.worker`, or with `stock` Huey's own `huey_consumer` CLI on the
        app's Huey instance (the way DESIGN.md says a deployment may run it)."""
        env = {**os.environ, **CONSUMER_ENV, **(extra_env or {})}
        if stock:
            args = [sys.executable, "-m", "huey.bin.huey_consumer", "chronos.worker.huey",
                    "-w", str(workers), "-k", env.get("CHRONOS_WORKER_TYPE", "thread")]
            if not periodic:
                args.append("--no-periodic")
        else:
            args = [sys.executable, "-m", "chronos.worker", "-w", str(workers)]
            if not periodic:
                args.append("--no-periodic")
        with open(self.log_dir / f"consumer-{len(self.procs)}.log", "wb") as log_file:
            # The child keeps its own copy of the file descriptor.
            # Its own process group, so process-type workers are killed with it at the end.
            proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self.procs.append(proc)
        self._wait_ready(proc)
        return proc

    def _wait_ready(self, proc: subprocess.Popen, timeout: float = 20) -> None:
        """Ready once it has beaten its first heartbeat and its consumer has started."""
        deadline = time.monotonic() + timeout
        log_path = self.log_dir / f"consumer-{len(self.procs) - 1}.log"
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"consumer exited early:\n{log_path.read_text()}")
            if "Scheduler runs every" in log_path.read_text(errors="replace"):
                return
            time.sleep(0.05)
        raise RuntimeError(f"consumer did not start:\n{log_path.read_text()}")

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("consumer-*.log")))

    def stop_all(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):  # it and its children are gone already
                os.killpg(proc.pid, signal.SIGKILL)
        for proc in self.procs:
            proc.wait(timeout=10)


@pytest.fixture
def consumers(app, tmp_path) -> Iterator[Consumers]:
    manager = Consumers(tmp_path)
    yield manager
    manager.stop_all()
