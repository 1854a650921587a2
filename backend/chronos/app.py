"""The composition root: `create_app` builds the Flask app from its settings, extensions and routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from . import extensions
from .api import register_blueprints
from .api.document import CommonResponses
from .config import load_config
from .errors import register_error_handlers
from .extensions import db, jwt, limiter, migrate
from .handlers import load_builtin_handlers
from .inputs import init_input_checks
from .logging_setup import configure_logging, init_request_ids
from .metrics import init_metrics
from .models import RevokedToken
from .ratelimit import init_retry_after
from .web import register_frontend

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app: settings, extensions, blueprints and the one error shape."""
    app = Flask(__name__)
    app.config.update(load_config())
    if test_config:
        app.config.update(test_config)
    configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    init_request_ids(app)
    init_metrics(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    jwt.init_app(app)
    # Registered before the limiter's own header hook, so it runs after it (Flask runs them reversed).
    init_retry_after(app)
    limiter.init_app(app)
    # `chronos.api` is also the name of the API package, so reach the Api object through its module.
    api = extensions.api
    api.init_app(
        app,
        spec_kwargs={
            "info": {"description": "Chronos REST API: jobs, executions, logs."},
            "extra_plugins": [CommonResponses()],
        },
    )
    api.spec.components.security_scheme(
        "bearerAuth",
        {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT or API key",
            "description": "A user's access token (acting in the workspace named by the header "
            "X-Chronos-Workspace: <id>, or their personal one), or a workspace's API key (chr_...).",
        },
    )
    register_error_handlers(app, jwt)
    init_input_checks(app)
    _register_token_checks()
    # Every handler is registered before the first request or task, never lazily (see handlers).
    load_builtin_handlers()

    register_blueprints(app, api)
    register_frontend(app)
    return app


def _register_token_checks() -> None:
    @jwt.token_in_blocklist_loader
    def _is_revoked(header: dict[str, Any], payload: dict[str, Any]) -> bool:
        # A plain primary-key lookup on every request: no ORM object is built for the answer.
        found = db.session.execute(select(RevokedToken.jti).where(RevokedToken.jti == payload["jti"]))
        return found.first() is not None
