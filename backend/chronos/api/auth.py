"""Accounts and tokens: register, login, refresh (rotating), logout (revoking), me.

Also `protected`, the decorator every owned resource uses: a valid access token, documented as
bearerAuth in the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache, wraps
from typing import Any, cast

from flask import current_app, request
from flask_jwt_extended import (
    create_access_token,
    create_refresh_token,
    decode_token,
    get_jwt,
    get_jwt_identity,
    jwt_required,
)
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint, abort
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from .. import access, teams
from ..extensions import db, limiter
from ..models import ROLES, RevokedToken, User
from ..schemas.auth import (
    LoginSchema,
    LogoutSchema,
    MeSchema,
    RegisteredSchema,
    RegisterSchema,
    TokenSchema,
)
from .document import WORKSPACE_MARK

blp = Blueprint("auth", __name__, description="Accounts and tokens.")

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
LOGIN_FAILED = "Wrong e-mail address or password."


View = Callable[..., Any]


def protected(blp: Blueprint, *, refresh: bool = False, any_type: bool = False) -> Callable[[View], View]:
    """Admit the request by the route's entry in the permission table (`access.PERMISSIONS`), before
    its input is read, and document it on the route.

    An access token or an API key, by the route's entry; `refresh` / `any_type` routes take a JWT of
    that type (refresh, logout) and are for users only.
    """

    def decorator(fn: View) -> View:
        if refresh or any_type:
            fn = jwt_required(refresh=refresh, verify_type=not any_type)(fn)
        else:
            fn = _admitted(fn)
        fn = blp.alt_response(401, response="UNAUTHORIZED")(fn)
        fn = blp.alt_response(403, response="FORBIDDEN")(fn)
        if access.PERMISSIONS.get(f"{blp.name}.{fn.__name__}") in ROLES:
            # Acts in a workspace: the document lists the header that picks it (api/document.py).
            fn = Blueprint.doc(**{WORKSPACE_MARK: True})(fn)
        return cast(View, Blueprint.doc(security=BEARER)(fn))

    return decorator


def _admitted(fn: View) -> View:
    @wraps(fn)
    def admitted(*args: Any, **kwargs: Any) -> Any:
        access.require(str(request.endpoint), kwargs.get("workspace_id"))
        return fn(*args, **kwargs)

    return admitted


def current_user_id() -> int:
    """The signed-in user's id (JWT identity is the id as a string)."""
    return int(get_jwt_identity())


def _auth_limit() -> str:
    return str(current_app.config["RATELIMIT_AUTH"])


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return generate_password_hash("not a real password", method="scrypt")


def _tokens(user: User) -> dict[str, Any]:
    identity = str(user.id)
    lifetime = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    return {
        "access_token": create_access_token(identity=identity),
        "refresh_token": create_refresh_token(identity=identity),
        "token_type": "Bearer",
        "expires_in": int(lifetime.total_seconds()),
        "user": user,
    }


def _revoke(payload: dict[str, Any]) -> None:
    """Record a token as revoked (in the database, so a Redis restart cannot revive it); no commit."""
    db.session.add(
        RevokedToken(
            jti=payload["jti"],
            token_type=payload.get("type", "access"),
            user_id=int(payload["sub"]) if str(payload.get("sub", "")).isdigit() else None,
            expires_at=datetime.fromtimestamp(payload["exp"], UTC),
        )
    )


def _signed_in_user() -> User:
    user = db.session.get(User, current_user_id())
    if user is None:
        abort(401, message="The token's user no longer exists.")
    return cast(User, user)


@blp.route("/auth/register", methods=["POST"])
@limiter.limit(_auth_limit, key_func=get_remote_address)
@blp.arguments(RegisterSchema, example={"email": "ada@example.com", "password": "correct horse battery"})
@blp.response(201, RegisteredSchema)
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def register(data: dict[str, Any]) -> dict[str, Any]:
    """Create an account and sign in: the user's fields, and tokens as login gives them. The account
    comes with a personal workspace.

    The e-mail address is unique whatever its case."""
    if db.session.scalar(select(User.id).where(User.email == data["email"])) is not None:
        abort(409, message="An account with this e-mail address already exists.")
    user = User(email=data["email"])
    user.set_password(data["password"])
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent registration of the same address won the race
        db.session.rollback()
        abort(409, message="An account with this e-mail address already exists.")
    return {"id": user.id, "email": user.email, "created_at": user.created_at, **_tokens(user)}


@blp.route("/auth/login", methods=["POST"])
@limiter.limit(_auth_limit, key_func=get_remote_address)
@blp.arguments(LoginSchema, example={"email": "ada@example.com", "password": "correct horse battery"})
@blp.response(200, TokenSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def login(data: dict[str, Any]) -> dict[str, Any]:
    """Exchange e-mail and password for an access token (15 min) and a refresh token (7 days)."""
    user = db.session.scalar(select(User).where(User.email == User.normalize_email(data["email"])))
    if user is None:
        # Hash anyway, so the response time does not tell which addresses have accounts.
        check_password_hash(_dummy_hash(), data["password"])
        abort(401, message=LOGIN_FAILED)
    user = cast(User, user)
    if not user.check_password(data["password"]):
        abort(401, message=LOGIN_FAILED)
    return _tokens(user)


@blp.route("/auth/refresh", methods=["POST"])
@protected(blp, refresh=True)
@blp.response(200, TokenSchema)
def refresh() -> dict[str, Any]:
    """Trade a refresh token for new tokens; the presented refresh token is revoked (rotation)."""
    user = _signed_in_user()
    _revoke(get_jwt())
    try:
        db.session.commit()
    except IntegrityError:  # the same refresh token used twice at once: only one use wins
        db.session.rollback()
        abort(401, message="Token has been revoked.")
    return _tokens(user)


@blp.route("/auth/logout", methods=["POST"])
@protected(blp, any_type=True)
@blp.arguments(LogoutSchema)
@blp.response(204)
def logout(data: dict[str, Any]) -> None:
    """Revoke the presented token and, if the body names one, the refresh token too."""
    presented = get_jwt()
    _revoke(presented)
    other = data.get("refresh_token")
    if other:
        try:
            payload = decode_token(other)
        except Exception:  # noqa: BLE001 — expired or malformed: nothing left to revoke
            payload = None
        if (
            payload
            and payload.get("sub") == presented.get("sub")
            and payload["jti"] != presented["jti"]
            and db.session.get(RevokedToken, payload["jti"]) is None
        ):
            _revoke(payload)
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent logout revoked it first; it is revoked either way
        db.session.rollback()


@blp.route("/auth/me", methods=["GET"])
@protected(blp)
@blp.response(200, MeSchema)
def me() -> dict[str, Any]:
    """The signed-in user, with their workspaces ({id, name, role, personal}, the personal one first)."""
    user = _signed_in_user()
    return {
        "id": user.id,
        "email": user.email,
        "created_at": user.created_at,
        "workspaces": teams.workspaces_of(user.id),
    }
