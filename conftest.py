"""Run-wide setup shared by tests/ and e2e/: a PostgreSQL database and a Redis database of this run's own.

Every pytest run creates its own PostgreSQL database and claims a free Redis database number, so
runs never see each other's leftovers (nor a developer's data). The environment is set here, before
`chronos` is imported anywhere, because the Huey instance is chosen from it at import time; child
processes (consumers, gunicorn) started by tests inherit it.
"""
from __future__ import annotations

import os
import uuid

import psycopg
import pytest
import redis as redis_lib

PG_ADMIN_URL = os.environ.get("CHRONOS_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("CHRONOS_TEST_REDIS", "redis://127.0.0.1:6379")
RUN_ID = uuid.uuid4().hex[:8]


def _claim_redis_db() -> int:
    """Claim a Redis database number nobody else's test run holds (a lock key in db 0)."""
    admin = redis_lib.Redis.from_url(f"{REDIS_BASE}/0")
    for number in range(1, 16):
        if admin.set(f"chronos-test-lock:{number}", RUN_ID, nx=True, ex=4 * 3600):
            return number
    raise RuntimeError("no free Redis database for the test run")


def _release_redis_db(number: int) -> None:
    admin = redis_lib.Redis.from_url(f"{REDIS_BASE}/0")
    if admin.get(f"chronos-test-lock:{number}") == RUN_ID.encode():
        admin.delete(f"chronos-test-lock:{number}")


REDIS_DB = _claim_redis_db()
REDIS_URL = f"{REDIS_BASE}/{REDIS_DB}"
PG_DB_NAME = f"chronos_test_{RUN_ID}"
PG_URL = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{PG_DB_NAME}"

os.environ.update({
    "DATABASE_URL": PG_URL,
    "REDIS_URL": REDIS_URL,
    "HUEY_NAME": f"chronos-test-{RUN_ID}",
    "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
    "CHRONOS_DATA_DIR": os.environ.get("CHRONOS_TEST_DATA_DIR", f"/tmp/chronos-test-{RUN_ID}"),
})


def _admin_execute(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session", autouse=True)
def _databases():
    """Create this run's PostgreSQL database; drop it and release the Redis database at the end."""
    _admin_execute(f'CREATE DATABASE "{PG_DB_NAME}"')
    redis_lib.Redis.from_url(REDIS_URL).flushdb()
    yield
    _release_redis_db(REDIS_DB)
    from sqlalchemy.orm import close_all_sessions
    close_all_sessions()
    _admin_execute(f'DROP DATABASE IF EXISTS "{PG_DB_NAME}" WITH (FORCE)')


