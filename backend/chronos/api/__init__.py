"""The REST API under /api/v1: a module per resource."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from . import (
    audit,
    auth,
    backfills,
    calendars,
    cron,
    dashboard,
    executions,
    health,
    invitations,
    jobs,
    keys,
    limits,
    notifications,
    system,
    testruns,
    versions,
    workspaces,
)


def register_blueprints(app: Flask, api: Api) -> None:
    for module in (
        auth,
        workspaces,
        invitations,
        keys,
        audit,
        jobs,
        versions,
        backfills,
        executions,
        limits,
        notifications,
        cron,
        calendars,
        dashboard,
        health,
        system,
        testruns,
    ):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
