"""Fixtures for the backend suite: the app on PostgreSQL (and SQLite), clean tables, users.

The run's database and Redis database come from the root `conftest.py`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis as redis_lib

from chronos import create_app
from chronos.extensions import db, limiter
from tests.live import Receiver, running_receiver

# Set by the root conftest.py before this module is imported.
PG_URL = os.environ["DATABASE_URL"]
REDIS_URL = os.environ["REDIS_URL"]


TEST_CONFIG = {
    "TESTING": True,
    "RATELIMIT_ENABLED": False,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
}


def _build_app(database_url: str, extra: dict | None = None):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **(extra or {})})
    with app.app_context():
        db.create_all()
    return app


def _clean(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        if db.engine.dialect.name == "postgresql":
            db.session.execute(db.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                db.session.execute(db.text(f"DELETE FROM {name}"))
        db.session.commit()
        db.session.remove()


def _reset_rate_limits() -> None:
    """Clear rate-limit counters; with limits disabled the limiter has no storage to clear."""
    if limiter.enabled and limiter.initialized:
        limiter.reset()


@pytest.fixture(scope="session")
def pg_app():
    return _build_app(PG_URL)


@pytest.fixture(scope="session")
def sqlite_app(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite") / "chronos.sqlite3"
    return _build_app(f"sqlite:///{path}")


@pytest.fixture
def redis():
    """This run's Redis database, flushed before the test."""
    client = redis_lib.Redis.from_url(REDIS_URL)
    client.flushdb()
    return client


@pytest.fixture
def app(pg_app, redis):
    """The app on this run's PostgreSQL database, with clean tables and a flushed Redis database."""
    _clean(pg_app)
    _reset_rate_limits()
    with pg_app.app_context():
        yield pg_app
        db.session.remove()


@pytest.fixture(params=["postgresql", "sqlite"])
def any_app(request, redis):
    """The app on PostgreSQL and on the embedded SQLite default: the core API suite runs on both."""
    the_app = request.getfixturevalue("pg_app" if request.param == "postgresql" else "sqlite_app")
    _clean(the_app)
    _reset_rate_limits()
    with the_app.app_context():
        yield the_app
        db.session.remove()


class Auth:
    """Registers and logs users in through the API; `headers(user)` gives a Bearer header."""

    def __init__(self, client):
        self.client = client
        self.tokens: dict[str, dict] = {}

    def register(self, email: str, password: str = "correct horse battery") -> dict:
        response = self.client.post("/api/v1/auth/register", json={"email": email, "password": password})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def login(self, email: str, password: str = "correct horse battery") -> dict:
        response = self.client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.get_json()
        self.tokens[email] = response.get_json()
        return self.tokens[email]

    def headers(self, email: str) -> dict[str, str]:
        if email not in self.tokens:
            self.register(email)
            self.login(email)
        return {"Authorization": f"Bearer {self.tokens[email]['access_token']}"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP receiver on 127.0.0.1 that records every request (routes: tests/live.py)."""
    with running_receiver() as running:
        yield running


@pytest.fixture
def client(any_app):
    return any_app.test_client()


@pytest.fixture
def pg_client(app):
    return app.test_client()


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def alice(auth):
    """Headers of a signed-in user who owns things."""
    return auth.headers("alice@example.com")


@pytest.fixture
def bob(auth):
    """Headers of a second user: everything of alice's must be a 404 to him."""
    return auth.headers("bob@example.com")
