"""The REST API under /api/v1: a module per resource."""
from __future__ import annotations

import importlib

from flask import Flask
from flask_smorest import Api

MODULES = ("auth", "jobs", "executions", "cron", "dashboard", "health", "notifications")


def register_blueprints(app: Flask, api: Api) -> None:
    for name in MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:  # a resource not written yet
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        api.register_blueprint(module.blp, url_prefix="/api/v1")
