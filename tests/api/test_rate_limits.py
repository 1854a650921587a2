"""Rate limits: strict per address on login/register, a default per user or address, 429 in the one
error shape with Retry-After and X-RateLimit-* headers, and counters shared through Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from chronos import create_app
from chronos.extensions import limiter

from .support import API

PG_URL = os.environ["DATABASE_URL"]
REDIS_URL = os.environ["REDIS_URL"]
WRONG = {"email": "nobody@example.com", "password": "wrong password"}


@pytest.fixture
def limited_app(app):
    """Build apps with rate limiting on (the `app` fixture gives clean tables on this run's database).

    The limiter is one object shared by every app in this process; switch it off again afterwards so
    the rest of the suite runs unlimited, as its apps were configured.
    """

    def build(**config):
        return create_app(
            {"TESTING": True, "SQLALCHEMY_DATABASE_URI": PG_URL, "RATELIMIT_ENABLED": True, **config}
        )

    yield build
    limiter.enabled = False


def test_login_is_limited_per_address_with_429_in_the_error_shape(limited_app):
    app = limited_app(RATELIMIT_STORAGE_URI="memory://", RATELIMIT_AUTH="3 per minute")
    limiter.reset()
    client = app.test_client()
    codes = [client.post(f"{API}/auth/login", json=WRONG).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    response = client.post(f"{API}/auth/login", json=WRONG)
    assert response.status_code == 429
    body = response.get_json()
    assert (
        body["code"] == 429 and body["status"] == "Too Many Requests" and "3 per 1 minute" in body["message"]
    )
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert response.headers["X-RateLimit-Limit"] == "3" and response.headers["X-RateLimit-Remaining"] == "0"
    assert "X-RateLimit-Reset" in response.headers
    # Another address has its own allowance.
    other = client.post(f"{API}/auth/login", json=WRONG, environ_base={"REMOTE_ADDR": "127.0.0.9"})
    assert other.status_code == 401


def test_register_is_limited_too(limited_app):
    app = limited_app(RATELIMIT_STORAGE_URI="memory://", RATELIMIT_AUTH="2 per minute")
    limiter.reset()
    client = app.test_client()
    codes = [client.post(f"{API}/auth/register", json={"email": "bad"}).status_code for _ in range(3)]
    assert codes == [422, 422, 429]


def test_limits_are_shared_by_processes_through_redis(limited_app, redis):
    """Two app instances in two processes (as two gunicorn workers) count against one limit."""
    app = limited_app(RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_AUTH="3 per minute")
    client = app.test_client()
    assert [client.post(f"{API}/auth/login", json=WRONG).status_code for _ in range(2)] == [401, 401]
    assert redis.keys("LIMITS:*"), "the counter lives in Redis"
    script = textwrap.dedent(f"""
        import json
        from chronos import create_app
        app = create_app({{"TESTING": True, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": {REDIS_URL!r},
                          "RATELIMIT_AUTH": "3 per minute"}})
        client = app.test_client()
        print(json.dumps([client.post("/api/v1/auth/login", json={WRONG!r}).status_code for _ in range(2)]))
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [401, 429]


def test_default_limit_is_per_user_and_covers_the_open_cron_preview(tmp_path):
    """In a fresh process: the limiter's default limit is fixed by the first app that enables it."""
    script = textwrap.dedent(f"""
        import json
        from chronos import create_app
        from chronos.extensions import db
        app = create_app({{"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite:///{tmp_path / "rl.sqlite3"}",
                          "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                          "RATELIMIT_DEFAULT": "2 per minute", "RATELIMIT_AUTH": "100 per minute"}})
        with app.app_context():
            db.create_all()
        client = app.test_client()
        tokens = {{}}
        for name in ("alice", "bob"):
            body = {{"email": name + "@example.com", "password": "correct horse battery"}}
            client.post("/api/v1/auth/register", json=body)
            tokens[name] = {{"Authorization": "Bearer " + client.post("/api/v1/auth/login", json=body)
                            .get_json()["access_token"]}}
        out = {{
            "preview": [client.post("/api/v1/cron/preview", json={{"cron_expression": "* * * * *"}}).status_code
                        for _ in range(3)],
            "alice": [client.get("/api/v1/auth/me", headers=tokens["alice"]).status_code for _ in range(3)],
            "bob": client.get("/api/v1/auth/me", headers=tokens["bob"]).status_code,
            "health": [client.get("/api/v1/health/live").status_code for _ in range(5)],
        }}
        print(json.dumps(out))
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["preview"] == [200, 200, 429]
    assert out["alice"] == [200, 200, 429]
    assert out["bob"] == 200  # same address, another user: the default limit is per user
    assert out["health"] == [200] * 5  # probes are exempt


def test_retry_after_is_sent_only_when_the_client_must_wait(limited_app):
    app = limited_app(RATELIMIT_STORAGE_URI="memory://", RATELIMIT_AUTH="2 per minute")
    limiter.reset()
    client = app.test_client()
    refused = client.post(f"{API}/auth/login", json=WRONG)
    assert refused.status_code == 401 and "X-RateLimit-Remaining" in refused.headers
    assert "Retry-After" not in refused.headers
    bad = client.post(f"{API}/auth/register", json={"email": "bad"})
    assert bad.status_code == 422 and "Retry-After" not in bad.headers
    limited = [client.post(f"{API}/auth/login", json=WRONG) for _ in range(3)][-1]
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


def test_the_embedded_default_counts_in_a_file_every_process_shares(tmp_path, limited_app):
    """Two app instances in two processes on the embedded default (no Redis) count against one limit."""
    uri = f"chronos+sqlite://{tmp_path / 'ratelimit.sqlite3'}"
    app = limited_app(RATELIMIT_STORAGE_URI=uri, RATELIMIT_AUTH="3 per minute")
    client = app.test_client()
    assert [client.post(f"{API}/auth/login", json=WRONG).status_code for _ in range(2)] == [401, 401]
    script = textwrap.dedent(f"""
        import json
        from chronos import create_app
        app = create_app({{"TESTING": True, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": {uri!r},
                          "RATELIMIT_AUTH": "3 per minute"}})
        client = app.test_client()
        print(json.dumps([client.post("/api/v1/auth/login", json={WRONG!r}).status_code for _ in range(2)]))
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [401, 429]


def test_each_api_key_has_its_own_allowance(limited_app):
    app = limited_app(RATELIMIT_STORAGE_URI="memory://", RATELIMIT_DEFAULT="3 per minute")
    limiter.reset()
    client = app.test_client()
    body = {"email": "keys-limit@example.com", "password": "correct horse battery"}
    token = client.post(f"{API}/auth/register", json=body).get_json()["access_token"]
    user = {"Authorization": f"Bearer {token}"}
    workspace = client.get(f"{API}/workspaces", headers=user).get_json()["items"][0]["id"]
    keys = [
        client.post(
            f"{API}/workspaces/{workspace}/api-keys", json={"name": n, "role": "viewer"}, headers=user
        ).get_json()["key"]
        for n in ("first", "second")
    ]
    first, second = ({"Authorization": f"Bearer {key}"} for key in keys)
    assert [client.get(f"{API}/jobs", headers=first).status_code for _ in range(4)] == [200, 200, 200, 429]
    # Another key (and the user who made them, who has used 3 already) count apart.
    assert client.get(f"{API}/jobs", headers=second).status_code == 200
