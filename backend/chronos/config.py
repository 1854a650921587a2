"""Every setting, read once from the environment (and a `.env` file beside the project)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

load_dotenv()


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    return int(_env(name, str(default)) or default)


def _float(name: str, default: float) -> float:
    return float(_env(name, str(default)) or default)


def _bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _list(name: str) -> list[str]:
    return [item.strip() for item in (_env(name, "") or "").split(",") if item.strip()]


def data_dir() -> Path:
    """Where the embedded default keeps its SQLite files and generated secret."""
    path = Path(_env("CHRONOS_DATA_DIR", "instance") or "instance").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _secret_key() -> str:
    """The configured secret, or one generated once and kept in the data directory.

    A generated key is shared through a file so that every web and worker process of the
    embedded default signs and verifies tokens with the same key.
    """
    configured = _env("SECRET_KEY")
    if configured:
        return configured
    key_file = data_dir() / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _frontend_dist() -> Path:
    """The built web app: beside the source tree (a checkout), else under the working directory
    (a platform that installed the package into site-packages and runs from the checkout)."""
    beside_source = Path(__file__).resolve().parents[2] / "frontend" / "dist"
    return beside_source if beside_source.exists() else Path.cwd() / "frontend" / "dist"


def load_config() -> dict[str, Any]:
    """Build the Flask config mapping from the environment."""
    database_url = _env("DATABASE_URL") or f"sqlite:///{data_dir() / 'chronos.sqlite3'}"
    # Platforms hand out postgres:// URLs; SQLAlchemy wants an explicit psycopg 3 driver.
    for prefix in ("postgres://", "postgresql://"):
        if database_url.startswith(prefix):
            database_url = "postgresql+psycopg://" + database_url[len(prefix) :]
    redis_url = _env("REDIS_URL")
    secret = _secret_key()
    return {
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        "HUEY_NAME": _env("HUEY_NAME", "chronos"),
        "HUEY_SQLITE_PATH": _env("HUEY_SQLITE_PATH", str(data_dir() / "huey.sqlite3")),
        # Auth
        "JWT_SECRET_KEY": _env("JWT_SECRET_KEY", secret),
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(minutes=_int("JWT_ACCESS_MINUTES", 15)),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(days=_int("JWT_REFRESH_DAYS", 7)),
        # Rate limits
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        # Shared by every process of the instance: Redis, or on the embedded default a SQLite file.
        "RATELIMIT_STORAGE_URI": _env(
            "RATELIMIT_STORAGE_URI", redis_url or f"chronos+sqlite://{data_dir() / 'ratelimit.sqlite3'}"
        ),
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_DEFAULT": _env("RATELIMIT_DEFAULT", "600 per minute"),
        "RATELIMIT_AUTH": _env("RATELIMIT_AUTH", "10 per minute"),
        # OpenAPI
        "API_TITLE": "Chronos",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        # Human docs at /api/v1/docs: Swagger UI, its files vendored by the frontend build into
        # frontend/dist/api-docs/ (served at /api-docs/), so the page needs no outside host.
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": _env("OPENAPI_SWAGGER_UI_URL", "/api-docs/"),
        # Jobs
        "MIN_INTERVAL_SECONDS": _int("MIN_INTERVAL_SECONDS", 10),
        "MAX_PAYLOAD_BYTES": _int("MAX_PAYLOAD_BYTES", 64 * 1024),
        "MAX_TIMEOUT_SECONDS": _int("MAX_TIMEOUT_SECONDS", 3600),
        "MAX_CONTENT_LENGTH": _int("MAX_REQUEST_BYTES", 256 * 1024),
        # Retention (retention.py): finished executions kept this many days (0: forever), failures
        # at least RETENTION_FAILED_DAYS, unless a workspace or a job sets its own; purged every
        # minute in batches of RETENTION_BATCH rows.
        "RETENTION_DAYS": _int("RETENTION_DAYS", 30),
        "RETENTION_FAILED_DAYS": _int("RETENTION_FAILED_DAYS", 90),
        "RETENTION_BATCH": _int("RETENTION_BATCH", 1000),
        "RETENTION_PASS_SECONDS": _int("RETENTION_PASS_SECONDS", 20),
        "RETENTION_VACUUM_ROWS": _int("RETENTION_VACUUM_ROWS", 10_000),
        # POST /jobs/batch takes up to 1,000 jobs in one body.
        "MAX_BATCH_REQUEST_BYTES": _int("MAX_BATCH_REQUEST_BYTES", 4 * 1024 * 1024),
        # Test runs (the editor's "Test run"): per user, run by a worker, forgotten after a while.
        "TEST_RUN_RATE_LIMIT": _env("TEST_RUN_RATE_LIMIT", "10 per minute"),
        "TEST_RUN_MAX_WAIT_SECONDS": _int("TEST_RUN_MAX_WAIT_SECONDS", 600),
        "TEST_RUN_RETENTION_HOURS": _int("TEST_RUN_RETENTION_HOURS", 24),
        # Engine
        "PLANNER_LOOKAHEAD_SECONDS": _int("PLANNER_LOOKAHEAD_SECONDS", 90),
        "LEASE_GRACE_SECONDS": _int("LEASE_GRACE_SECONDS", 30),
        "RECOVERY_GRACE_SECONDS": _int("RECOVERY_GRACE_SECONDS", 10),
        # Slots due within one such window travel in one task, claimed together a moment before the
        # window opens; each call still leaves at its own instant, from the consumer's event loop.
        "DISPATCH_WINDOW_SECONDS": _float("DISPATCH_WINDOW_SECONDS", 0.25),
        # A slot starting later than this after its time is missed: the job's misfire policy applies.
        "MISFIRE_GRACE_SECONDS": _int("MISFIRE_GRACE_SECONDS", 60),
        # How often each consumer runs the safety sync (besides Huey's once-a-minute pass).
        "SAFETY_SYNC_SECONDS": _int("SAFETY_SYNC_SECONDS", 15),
        # How often each consumer plans (besides Huey's once-a-minute pass): a little at a time.
        "PLAN_EVERY_SECONDS": _int("PLAN_EVERY_SECONDS", 10),
        "RETRY_AFTER_CAP_SECONDS": _int("RETRY_AFTER_CAP_SECONDS", 3600),
        "HTTP_ALLOWLIST": _list("HTTP_ALLOWLIST"),
        "RESPONSE_EXCERPT_BYTES": _int("RESPONSE_EXCERPT_BYTES", 4096),
        # Notifications
        "SMTP_HOST": _env("SMTP_HOST"),
        "SMTP_PORT": _int("SMTP_PORT", 25),
        "SMTP_USERNAME": _env("SMTP_USERNAME"),
        "SMTP_PASSWORD": _env("SMTP_PASSWORD"),
        "SMTP_FROM": _env("SMTP_FROM", "chronos@localhost"),
        "SMTP_STARTTLS": _bool("SMTP_STARTTLS", False),
        "SMTP_SSL": _bool("SMTP_SSL", False),
        "SMTP_CA_FILE": _env("SMTP_CA_FILE"),
        "SMTP_TIMEOUT_SECONDS": _int("SMTP_TIMEOUT_SECONDS", 10),
        "SMTP_LOCAL_HOSTNAME": _env("SMTP_LOCAL_HOSTNAME"),
        "MAIL_CONSOLE": _bool("MAIL_CONSOLE", False),
        "NOTIFY_WEBHOOK_TIMEOUT_SECONDS": _int("NOTIFY_WEBHOOK_TIMEOUT_SECONDS", 10),
        "NOTIFY_THROTTLE_SECONDS": _int("NOTIFY_THROTTLE_SECONDS", 600),
        "NOTIFY_RETRY_BACKOFF_SECONDS": [int(x) for x in _list("NOTIFY_RETRY_BACKOFF_SECONDS")]
        or [30, 120, 600],
        "PUBLIC_BASE_URL": _env("PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
        # The worker (python -m chronos.worker)
        "CHRONOS_WORKERS": _int("CHRONOS_WORKERS", 4),
        "CHRONOS_WORKER_TYPE": _env("CHRONOS_WORKER_TYPE", "thread"),
        # How often the consumer looks for due tasks (Huey's own scheduler: once a second).
        "CHRONOS_SCHEDULER_TICK": _float("CHRONOS_SCHEDULER_TICK", 0.05),
        "CHRONOS_HEARTBEAT_SECONDS": _float("CHRONOS_HEARTBEAT_SECONDS", 10.0),
        "CHRONOS_METRICS_PORT": _env("CHRONOS_METRICS_PORT"),
        "CHRONOS_METRICS_ADDR": _env("CHRONOS_METRICS_ADDR", "127.0.0.1"),
        # Operations
        # Readiness fails without a consumer seen in the last minute only when this is set.
        "READY_REQUIRES_WORKER": _bool("READY_REQUIRES_WORKER", False),
        "METRICS_TOKEN": _env("METRICS_TOKEN"),
        "LOG_FORMAT": _env("LOG_FORMAT", "text"),
        "LOG_LEVEL": _env("LOG_LEVEL", "INFO"),
        "FRONTEND_DIST": _env("FRONTEND_DIST") or str(_frontend_dist()),
    }
