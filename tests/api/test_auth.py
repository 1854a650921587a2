"""Accounts and tokens: register, login, refresh rotation, logout revocation, me."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_jwt_extended import create_access_token
from sqlalchemy import func, select

from chronos.extensions import db
from chronos.models import RevokedToken, User

from .support import API

PASSWORD = "correct horse battery"


def count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def login(client, email: str = "alice@example.com", password: str = PASSWORD):
    return client.post(f"{API}/auth/login", json={"email": email, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_register_returns_the_user_without_the_hash(client):
    response = client.post(f"{API}/auth/register", json={"email": "Alice@Example.COM", "password": PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "alice@example.com"
    assert set(body) == {"id", "email", "created_at", "access_token", "refresh_token", "token_type",
                         "expires_in", "user"}
    assert body["user"] == {"id": body["id"], "email": "alice@example.com", "created_at": body["created_at"]}
    stored = db.session.get(User, body["id"])
    assert stored.password_hash.startswith("scrypt:") and PASSWORD not in stored.password_hash
    assert stored.password_hash not in response.get_data(as_text=True)


def test_register_signs_in_with_tokens_like_login(client):
    response = client.post(f"{API}/auth/register", json={"email": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 15 * 60
    me = client.get(f"{API}/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.get_json()["email"] == "ada@example.com"
    # The refresh token rotates like one from login.
    refreshed = client.post(f"{API}/auth/refresh", headers=bearer(body["refresh_token"]))
    assert refreshed.status_code == 200
    assert client.post(f"{API}/auth/refresh", headers=bearer(body["refresh_token"])).status_code == 401


def test_duplicate_email_in_another_case_is_409(client, auth):
    auth.register("alice@example.com")
    response = client.post(f"{API}/auth/register", json={"email": " ALICE@example.com ", "password": PASSWORD})
    assert response.status_code == 409
    assert response.get_json()["code"] == 409 and "already exists" in response.get_json()["message"]
    assert count_users() == 1


@pytest.mark.parametrize("body,field", [
    ({"email": "not-an-email", "password": PASSWORD}, "email"),
    ({"email": "a@example.com", "password": "short"}, "password"),
    ({"email": "a@example.com", "password": 12345678}, "password"),
    ({"password": PASSWORD}, "email"),
    ({"email": "a@example.com"}, "password"),
    ({"email": "a@example.com", "password": PASSWORD, "admin": True}, "admin"),
])
def test_register_rejects_bad_input_naming_the_field(client, body, field):
    response = client.post(f"{API}/auth/register", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert count_users() == 0


def test_login_returns_bearer_tokens_and_the_user(client, auth):
    auth.register("alice@example.com")
    response = login(client, "ALICE@example.com")
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 15 * 60
    assert body["access_token"] and body["refresh_token"] and body["access_token"] != body["refresh_token"]
    assert body["user"]["email"] == "alice@example.com"
    me = client.get(f"{API}/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.get_json()["email"] == "alice@example.com"


def test_wrong_password_and_unknown_email_get_the_same_401(client, auth):
    auth.register("alice@example.com")
    wrong_password = login(client, password="wrong password!")
    unknown = login(client, email="nobody@example.com")
    malformed = login(client, email="not an email")
    assert wrong_password.status_code == unknown.status_code == malformed.status_code == 401
    assert wrong_password.get_json() == unknown.get_json() == malformed.get_json()


def test_me_needs_a_token(client):
    response = client.get(f"{API}/auth/me")
    assert response.status_code == 401
    body = response.get_json()
    assert body["status"] == "Unauthorized" and body["message"]
    garbage = client.get(f"{API}/auth/me", headers=bearer("not.a.jwt"))
    assert garbage.status_code == 401 and garbage.get_json()["code"] == 401


def test_refresh_rotates_and_the_old_refresh_token_is_rejected(client, auth):
    auth.register("alice@example.com")
    first = login(client).get_json()
    rotated = client.post(f"{API}/auth/refresh", headers=bearer(first["refresh_token"]))
    assert rotated.status_code == 200
    second = rotated.get_json()
    assert second["refresh_token"] != first["refresh_token"] and second["token_type"] == "Bearer"
    assert client.get(f"{API}/auth/me", headers=bearer(second["access_token"])).status_code == 200
    replay = client.post(f"{API}/auth/refresh", headers=bearer(first["refresh_token"]))
    assert replay.status_code == 401 and "revoked" in replay.get_json()["message"]
    assert client.post(f"{API}/auth/refresh", headers=bearer(second["refresh_token"])).status_code == 200


def test_token_types_are_not_interchangeable(client, auth):
    auth.register("alice@example.com")
    tokens = login(client).get_json()
    assert client.post(f"{API}/auth/refresh", headers=bearer(tokens["access_token"])).status_code == 401
    assert client.get(f"{API}/auth/me", headers=bearer(tokens["refresh_token"])).status_code == 401


def test_logout_revokes_the_access_token_and_the_named_refresh_token(client, auth, redis):
    auth.register("alice@example.com")
    tokens = login(client).get_json()
    response = client.post(f"{API}/auth/logout", json={"refresh_token": tokens["refresh_token"]},
                           headers=bearer(tokens["access_token"]))
    assert response.status_code == 204
    # Revocations live in the database: emptying Redis cannot bring a token back.
    redis.flushdb()
    me = client.get(f"{API}/auth/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 401 and "revoked" in me.get_json()["message"]
    assert client.post(f"{API}/auth/refresh", headers=bearer(tokens["refresh_token"])).status_code == 401
    assert {row.token_type for row in db.session.scalars(select(RevokedToken))} == {"access", "refresh"}


def test_logout_with_a_refresh_token_alone(client, auth):
    auth.register("alice@example.com")
    tokens = login(client).get_json()
    assert client.post(f"{API}/auth/logout", headers=bearer(tokens["refresh_token"])).status_code == 204
    assert client.post(f"{API}/auth/refresh", headers=bearer(tokens["refresh_token"])).status_code == 401
    # The access token was not named, so it lives out its 15 minutes.
    assert client.get(f"{API}/auth/me", headers=bearer(tokens["access_token"])).status_code == 200


def test_logout_does_not_revoke_another_users_refresh_token(client, auth):
    auth.register("alice@example.com")
    auth.register("bob@example.com")
    alice = login(client).get_json()
    bob = login(client, "bob@example.com").get_json()
    client.post(f"{API}/auth/logout", json={"refresh_token": bob["refresh_token"]},
                headers=bearer(alice["access_token"]))
    assert client.post(f"{API}/auth/refresh", headers=bearer(bob["refresh_token"])).status_code == 200


def test_expired_access_token_is_401(client, auth):
    user = auth.register("alice@example.com")
    token = create_access_token(identity=str(user["id"]), expires_delta=timedelta(seconds=-1))
    response = client.get(f"{API}/auth/me", headers=bearer(token))
    assert response.status_code == 401 and "expired" in response.get_json()["message"]


def test_token_of_a_deleted_user_is_401(client, auth):
    user = auth.register("alice@example.com")
    token = login(client).get_json()["access_token"]
    db.session.delete(db.session.get(User, user["id"]))
    db.session.commit()
    assert client.get(f"{API}/auth/me", headers=bearer(token)).status_code == 401


def test_expired_revocations_are_purged_and_live_ones_kept(any_app):
    from datetime import timedelta

    from chronos.extensions import db
    from chronos.models import RevokedToken, utcnow
    from chronos.tasks import purge_revoked_tokens

    now = utcnow()
    db.session.add_all([RevokedToken(jti="old", token_type="refresh", expires_at=now - timedelta(minutes=1)),
                        RevokedToken(jti="live", token_type="access", expires_at=now + timedelta(minutes=10))])
    db.session.commit()
    purge_revoked_tokens.call_local()
    assert [row.jti for row in db.session.query(RevokedToken)] == ["live"]
