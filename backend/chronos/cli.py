"""The `chronos` command: `serve` (everything on one machine), `migrate`, `web`, `worker`."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from .config import data_dir, load_config

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONF = ROOT / "infra" / "gunicorn.conf.py"


def migrate() -> None:
    """Bring the database schema up to date (Alembic migrations)."""
    # Imported here, not at the top: `chronos serve` stays a small supervisor (it migrates in a
    # child process), and `chronos web`/`worker` exec into their process without loading the app.
    from flask_migrate import upgrade

    from .app import create_app

    app = create_app()
    with app.app_context():
        upgrade()


def _web_command(host: str, port: int) -> list[str]:
    command = [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "chronos.wsgi:app"]
    if GUNICORN_CONF.exists():
        command[3:3] = ["--config", str(GUNICORN_CONF)]
    return command


def _worker_command() -> list[str]:
    return [sys.executable, "-m", "chronos.worker"]


def serve_environment(host: str, port: int, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment `serve` gives web and worker: theirs, plus what one host needs shared.

    Links in e-mails name the address `serve` listens on unless PUBLIC_BASE_URL says otherwise.
    """
    env = dict(environ)
    if not env.get("PROMETHEUS_MULTIPROC_DIR"):
        env["PROMETHEUS_MULTIPROC_DIR"] = str(data_dir() / "metrics")
    # One laptop: one web process with threads is plenty, and half the memory of two.
    env.setdefault("WEB_CONCURRENCY", "1")
    env.setdefault("GUNICORN_THREADS", "8")
    if not env.get("PUBLIC_BASE_URL"):
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
        shown_host = f"[{shown_host}]" if ":" in shown_host else shown_host
        env["PUBLIC_BASE_URL"] = f"http://{shown_host}:{port}"
    return env


def serve(host: str, port: int) -> int:
    """Migrate, then run the web server and one consumer until interrupted (Ctrl-C)."""
    config = load_config()
    # In a child: the app (and its ~100 MB) is never loaded into this supervisor.
    subprocess.run([sys.executable, "-m", "chronos.cli", "migrate"], check=True)
    backend = "PostgreSQL" if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else "SQLite"
    queue = "Redis" if config["REDIS_URL"] else "SQLite"
    env = serve_environment(host, port, os.environ)
    if env["PROMETHEUS_MULTIPROC_DIR"] == str(data_dir() / "metrics"):
        # Web and worker write their samples to one directory, so /metrics shows the worker's counts.
        metrics_dir = data_dir() / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
    processes = {
        "web": subprocess.Popen(_web_command(host, port), env=env),
        "worker": subprocess.Popen(_worker_command(), env=env),
    }
    print(
        f"\nChronos is running at {env['PUBLIC_BASE_URL']}/  "
        f"(database: {backend}, queue: {queue}; Ctrl-C stops it)\n",
        flush=True,
    )

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                print(f"chronos: the {name} process exited with {process.returncode}", flush=True)
                stopping, code = True, process.returncode or 1
        time.sleep(0.2)
    for process in processes.values():
        if process.poll() is None:
            # SIGTERM: gunicorn stops gracefully; the consumer puts interrupted executions back.
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
    return code


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `chronos` command."""
    parser = argparse.ArgumentParser(prog="chronos", description="Chronos job scheduler")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="migrate, then run web + worker (development, one host)")
    serve_parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    commands.add_parser("migrate", help="apply database migrations")
    web_parser = commands.add_parser("web", help="run the web server (gunicorn)")
    web_parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))
    web_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    commands.add_parser("worker", help="run a consumer (executions, planner, recovery)")
    args = parser.parse_args(argv)

    if args.command == "serve":
        return serve(args.host, args.port)
    if args.command == "migrate":
        migrate()
        return 0
    if args.command == "web":
        os.execv(sys.executable, _web_command(args.host, args.port))
    if args.command == "worker":
        os.execv(sys.executable, _worker_command())
    return 2


if __name__ == "__main__":
    sys.exit(main())
