"""The REST API under /api/v1: a module per resource."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from . import auth, calendars, cron, dashboard, executions, health, jobs, notifications, system, testruns


def register_blueprints(app: Flask, api: Api) -> None:
    for module in (
        auth,
        jobs,
        executions,
        notifications,
        cron,
        calendars,
        dashboard,
        health,
        system,
        testruns,
    ):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
