"""Pieces every burst benchmark shares: the loopback receiver, the lateness summary, the table.

A burst is N tasks (jobs, executions) all due at the same instant T, each doing one HTTP call to
`Receiver`. Lateness is arrival − T, measured on this machine's clock by the receiver itself, so
Chronos (`firing.py`) and the systems users compare it with (`baselines.py`) are judged by the
same stopwatch. Only the standard library is needed at import time; `redis` is imported by
`claimed_redis_db` when it is used.
"""
from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, Self

EXECUTION_ID_HEADER = "X-Chronos-Execution-Id"

# Columns every system's row has; `print_table` shows these unless told otherwise.
COLUMNS = ("system", "n", "p50_ms", "p95_ms", "p99_ms", "max_ms", "all_arrived_s", "lost", "duplicates")


class _BurstServer(ThreadingHTTPServer):
    # The default listen backlog is 5: a burst of hundreds of connects would overflow it and the
    # kernel's SYN retry (1 s) would show up as lateness that belongs to the receiver, not the system.
    request_queue_size = 4096
    daemon_threads = True
    block_on_close = False


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so clients that pool connections (aiohttp, requests.Session) keep them alive.
    protocol_version = "HTTP/1.1"
    # An idle kept-alive connection frees its thread after this long instead of lingering.
    timeout = 15
    server: _BurstServer

    def _handle(self) -> None:
        # Stamp first: the time to read the body is the receiver's cost, not the system's.
        arrived = time.time()
        body = self._read_body()
        task_id = _task_id(self.headers.get(EXECUTION_ID_HEADER), body)
        self.server.receiver._record(task_id, arrived)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_PUT = do_PATCH = do_GET = do_DELETE = _handle

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is not None:
            return self.rfile.read(int(length))
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    # Trailer section ends with an empty line.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return b""

    def log_message(self, format: str, *args: Any) -> None:
        # One log line per request would cost more CPU than the request itself.
        pass


def _task_id(header: str | None, body: bytes) -> str | None:
    if header:
        return header
    if body:
        try:
            parsed = json.loads(body)
        except ValueError:
            return None
        if isinstance(parsed, dict) and parsed.get("id") is not None:
            return str(parsed["id"])
    return None


class Receiver:
    """A ThreadingHTTPServer on 127.0.0.1, in a background thread, recording when each task id arrives.

    `arrivals` maps task id → arrival times (epoch seconds, one entry per request, so a duplicate
    delivery shows as a second entry). The id is the `X-Chronos-Execution-Id` header, else the
    JSON body's `id` field; requests with neither are counted in `unidentified`. Every request
    gets an empty 200.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.arrivals: dict[str, list[float]] = {}
        self.unidentified = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._host = host
        self._server = _BurstServer((host, port), _Handler)
        self._server.receiver = self  # type: ignore[attr-defined]

    @property
    def url(self) -> str:
        """The URL tasks should call, e.g. `http://127.0.0.1:40123/hook`."""
        return f"http://{self._host}:{self._server.server_address[1]}/hook"

    def start(self) -> Self:
        """Serve in a background thread; returns self."""
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="bench-receiver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def clear(self) -> None:
        """Forget every arrival (e.g. the warm-up calls)."""
        with self._lock:
            self.arrivals = {}
            self.unidentified = 0

    def snapshot(self) -> dict[str, list[float]]:
        """A copy of `arrivals`, safe to read while requests keep coming."""
        with self._lock:
            return {task_id: list(times) for task_id, times in self.arrivals.items()}

    def wait_for(self, task_ids: Iterable[str], deadline: float, poll_s: float = 0.02) -> bool:
        """Block until every id has arrived at least once or `time.time()` passes `deadline`."""
        # Polling, not a condition notified per request: waking the waiter on each of 5000 arrivals
        # would steal the GIL from the receiver during the very burst being measured. Arrival times
        # are stamped by the server, so the poll interval does not affect any figure.
        missing = list(dict.fromkeys(task_ids))
        while True:
            with self._lock:
                missing = [task_id for task_id in missing if task_id not in self.arrivals]
            if not missing:
                return True
            if time.time() >= deadline:
                return False
            time.sleep(min(poll_s, max(0.0, deadline - time.time())))

    def _record(self, task_id: str | None, arrived: float) -> None:
        with self._lock:
            if task_id is None:
                self.unidentified += 1
            else:
                self.arrivals.setdefault(task_id, []).append(arrived)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of `values` (which must not be empty)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return ordered[rank - 1]


def summarize(due_epoch: float, arrivals: Mapping[str, Sequence[float]], expected_ids: Iterable[str],
              deadline_epoch: float | None = None) -> dict[str, Any]:
    """Lateness of a burst: p50/p95/p99/max (ms), seconds until all arrived, lost and duplicates.

    Lateness of a task is its first arrival − `due_epoch`. A task with no arrival (or none before
    `deadline_epoch`, when given) is lost; every arrival after a task's first is a duplicate.
    `all_arrived_s` is the last first-arrival − due, or None when anything was lost. `min_ms`
    (negative = ran early) and `unexpected` (arrivals of ids not in the burst) are extra keys.
    """
    expected = list(dict.fromkeys(expected_ids))
    lateness: list[float] = []
    lost = duplicates = 0
    for task_id in expected:
        times = sorted(t for t in arrivals.get(task_id, ()) if deadline_epoch is None or t <= deadline_epoch)
        if not times:
            lost += 1
            continue
        lateness.append(times[0] - due_epoch)
        duplicates += len(times) - 1
    expected_set = set(expected)
    unexpected = sum(len(times) for task_id, times in arrivals.items() if task_id not in expected_set)

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000.0, 1)

    return {
        "n": len(expected),
        "p50_ms": ms(percentile(lateness, 50)) if lateness else None,
        "p95_ms": ms(percentile(lateness, 95)) if lateness else None,
        "p99_ms": ms(percentile(lateness, 99)) if lateness else None,
        "max_ms": ms(max(lateness)) if lateness else None,
        "min_ms": ms(min(lateness)) if lateness else None,
        "all_arrived_s": round(max(lateness), 3) if lateness and not lost else None,
        "lost": lost,
        "duplicates": duplicates,
        "unexpected": unexpected,
    }


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        # Milliseconds to 0.1 ms, seconds to 1 ms, anything else to 3 decimals.
        return f"{value:.1f}" if column.endswith("_ms") else f"{value:.3f}"
    return str(value)


def print_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] = COLUMNS,
                file: IO[str] | None = None) -> None:
    """Print rows (dicts such as `summarize` + `system`) as an aligned text table; None shows as '-'."""
    out = file or sys.stdout
    cells = [[_cell(column, row.get(column)) for column in columns] for row in rows]
    widths = [max([len(column)] + [len(line[i]) for line in cells]) for i, column in enumerate(columns)]
    print("  ".join(column.rjust(width) for column, width in zip(columns, widths, strict=False)), file=out)
    print("  ".join("-" * width for width in widths), file=out)
    for line in cells:
        print("  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=False)), file=out)
    out.flush()


@contextmanager
def claimed_redis_db(base_url: str = "redis://127.0.0.1:6379", expire_s: int = 3600) -> Iterator[str]:
    """Claim a free Redis database number exactly as the root conftest.py does; yield its URL.

    The lock is `chronos-test-lock:<n>` in db 0, set NX with an expiry, so a benchmark never
    shares a database with a concurrent test run. The claimed database is flushed before and
    after (FLUSHDB of that number only) and the lock released if still ours.
    """
    import redis

    owner = f"bench-{uuid.uuid4().hex[:8]}"
    admin = redis.Redis.from_url(f"{base_url}/0")
    number = next((n for n in range(1, 16) if admin.set(f"chronos-test-lock:{n}", owner, nx=True, ex=expire_s)),
                  None)
    if number is None:
        raise RuntimeError("no free Redis database (all of 1..15 are locked)")
    url = f"{base_url}/{number}"
    try:
        redis.Redis.from_url(url).flushdb()
        yield url
    finally:
        try:
            redis.Redis.from_url(url).flushdb()
        finally:
            if admin.get(f"chronos-test-lock:{number}") == owner.encode():
                admin.delete(f"chronos-test-lock:{number}")


class Subprocesses:
    """Child processes of a benchmark, each in its own process group, all ended on exit.

    Use as a context manager: leaving it (normally, on an exception or on Ctrl-C) sends SIGTERM to
    each child's group, then SIGKILL after `grace_s`. Output goes to a log file per child so a
    child that dies early can be explained (`check`).
    """

    def __init__(self, log_dir: str | os.PathLike[str] | None = None, grace_s: float = 5.0) -> None:
        self.log_dir = Path(log_dir) if log_dir else Path(os.environ.get("TMPDIR", "/tmp"))
        self.grace_s = grace_s
        self._children: list[tuple[str, subprocess.Popen[bytes], Path]] = []

    def start(self, name: str, cmd: Sequence[str], *, env: Mapping[str, str] | None = None,
              cwd: str | os.PathLike[str] | None = None) -> subprocess.Popen[bytes]:
        """Start `cmd` in a new session (its own process group), output to `<log_dir>/<name>-<pid>.log`."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"bench-{name}-{uuid.uuid4().hex[:6]}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(list(cmd), env=dict(env) if env is not None else None, cwd=cwd,
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self._children.append((name, proc, log_path))
        return proc

    def check(self) -> None:
        """Raise RuntimeError (with the log's tail) if any child has exited."""
        for name, proc, log_path in self._children:
            if proc.poll() is not None:
                tail = log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}; log {log_path}:\n{tail}")

    def stop_named(self, prefix: str) -> None:
        """SIGTERM (then SIGKILL) the children whose name starts with `prefix`; forget them."""
        stopping = [(name, proc, log) for name, proc, log in self._children if name.startswith(prefix)]
        for _, proc, _ in stopping:
            if proc.returncode is None:
                _signal_group(proc, signal.SIGTERM)
        deadline = time.time() + self.grace_s
        for _, proc, log_path in stopping:
            _wait_unreaped(proc, deadline)
            _signal_group(proc, signal.SIGKILL)
            with suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
            log_path.unlink(missing_ok=True)
        self._children = [child for child in self._children if not child[0].startswith(prefix)]

    def stop_all(self, keep_logs: bool = False) -> None:
        """SIGTERM every child's process group, SIGKILL what is left after the grace period.

        The log files are deleted unless `keep_logs` (the context manager keeps them on an error).
        """
        # A child reaped earlier (by `check`) is skipped: its pid, hence its group id, may be reused.
        live = [proc for _, proc, _ in self._children if proc.returncode is None]
        for proc in live:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.time() + self.grace_s
        for proc in live:
            _wait_unreaped(proc, deadline)
            # Sweep the group before reaping the leader: a prefork pool's children can outlive it,
            # and the unreaped leader keeps the group id from being reused meanwhile.
            _signal_group(proc, signal.SIGKILL)
            with suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        for name, _, log_path in self._children:
            if keep_logs:
                print(f"{name} log kept: {log_path}", file=sys.stderr)
            else:
                log_path.unlink(missing_ok=True)
        self._children = []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self.stop_all(keep_logs=exc_type is not None)


def _wait_unreaped(proc: subprocess.Popen[bytes], deadline: float) -> None:
    # WNOWAIT leaves the exited leader a zombie, so its pid still names only our process group.
    while time.time() < deadline:
        try:
            if os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return
        except ChildProcessError:
            return
        time.sleep(0.05)


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    # start_new_session=True made the child its group leader, so its pid is the group id.
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def raise_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit in a CLI, so `finally`/`with` blocks stop the children."""
    def _exit(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, _exit)
