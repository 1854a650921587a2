"""Extensions, created unbound and attached to the app in `create_app`; the Huey instance."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, ClassVar

from flask import current_app, request
from flask_jwt_extended import JWTManager, get_jwt_identity, verify_jwt_in_request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from huey import Huey, RedisHuey, SqliteHuey
from sqlalchemy import Table, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from . import ratelimit  # noqa: F401  (registers the chronos+sqlite:// rate-limit storage)
from .config import load_config


class Base(DeclarativeBase):
    # Every model maps one table; saying so lets core insert()/update() on it type-check.
    __table__: ClassVar[Table]


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """On the embedded SQLite default: enforce foreign keys (cascades) and let web and worker
    processes share the file (WAL, and wait for a lock rather than fail at once)."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


# Objects stay readable after a commit without a new SELECT each (a route commits, then its response
# is dumped from the same objects): one round trip fewer per write request.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

# db.Model is made at run time; type checkers follow models through their declarative base.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
jwt = JWTManager()
api = Api()


def rate_limit_key() -> str:
    """Per API key for a key's requests, per user when a valid access token is presented, per client
    address otherwise."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip().startswith("chr_"):
        # Its digest names it (never the key itself, which the counter store would then hold).
        return "key:" + hashlib.sha256(value.strip().encode()).hexdigest()[:32]
    try:
        verify_jwt_in_request(optional=True)
        identity = get_jwt_identity()
    except Exception:  # noqa: BLE001 - expired, revoked or malformed token: fall back to the address
        identity = None
    return f"user:{identity}" if identity else f"ip:{get_remote_address()}"


def default_rate_limit() -> str:
    """Read per request, so each app (and test) gets its own configured default."""
    return str(current_app.config["RATELIMIT_DEFAULT"])


limiter = Limiter(key_func=rate_limit_key, default_limits=[default_rate_limit])


def make_huey(config: dict[str, Any] | None = None) -> Huey:
    """RedisHuey when REDIS_URL is set, SqliteHuey on the embedded default."""
    config = config or load_config()
    name = config["HUEY_NAME"]
    if config["REDIS_URL"]:
        # Results are never read (tasks record outcomes in the database), so keep none.
        return RedisHuey(name, url=config["REDIS_URL"], results=False, utc=True)
    return SqliteHuey(name, filename=config["HUEY_SQLITE_PATH"], results=False, utc=True)


huey = make_huey()
