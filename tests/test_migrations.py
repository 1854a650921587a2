"""The Alembic migrations build exactly the schema the models describe, on PostgreSQL and SQLite."""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from chronos import create_app
from chronos.extensions import db

PG_ADMIN_URL = os.environ.get("CHRONOS_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    name = f"chronos_migrations_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migrations_match_the_models_and_downgrade_cleanly(empty_database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": True}), db.metadata
            )
        assert diff == [], f"models and migrations disagree: {diff}"
        downgrade(revision="base")
        with db.engine.connect() as connection:
            tables = set(db.inspect(connection).get_table_names()) - {"alembic_version"}
        assert tables == set()
        db.engine.dispose()


def test_teams_migration_moves_each_users_data_into_their_personal_workspace(empty_database_url):
    """Data written before workspaces existed: each user gets a personal workspace (owner) holding
    their jobs, executions and test runs; a job's schedule version starts at its version."""
    from sqlalchemy import text

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    stamp = "2026-01-01 00:00:00"
    with app.app_context():
        upgrade(revision="90c6d9e4cc9b")
        with db.engine.begin() as connection:
            for user_id, email in ((1, "ada@example.com"), (2, "bob@example.com")):
                connection.execute(
                    text(
                        "INSERT INTO users (id, email, password_hash, created_at, updated_at) "
                        "VALUES (:id, :email, 'x', :at, :at)"
                    ),
                    {"id": user_id, "email": email, "at": stamp},
                )
            for job_id, owner, version in ((10, 1, 3), (11, 2, 1)):
                connection.execute(
                    text(
                        "INSERT INTO jobs (id, owner_id, name, description, job_type, schedule_type, "
                        "interval_seconds, timezone, handler, signing_secret, timeout_seconds, max_retries, "
                        "retry_backoff_seconds, retry_on_client_error, overlap_policy, misfire_policy, "
                        "notify_on_failure, notify_on_recovery, notify_emails, status, version, created_at, "
                        "updated_at) VALUES (:id, :owner, 'j', '', 'recurring', 'interval', 60, 'UTC', 'log', "
                        "'s', 30, 3, '[1]', false, 'allow', 'run_once', true, false, '[]', 'active', :version, "
                        ":at, :at)"
                    ),
                    {"id": job_id, "owner": owner, "version": version, "at": stamp},
                )
                connection.execute(
                    text(
                        "INSERT INTO executions (job_id, owner_id, job_version, scheduled_for, trigger, "
                        "status, attempt, attempts, created_at, updated_at) VALUES (:job, :owner, :version, "
                        ":at, 'schedule', 'succeeded', 1, '[]', :at, :at)"
                    ),
                    {"job": job_id, "owner": owner, "version": version, "at": stamp},
                )
            connection.execute(
                text(
                    "INSERT INTO test_runs (owner_id, name, handler, timeout_seconds, status, created_at, logs) "
                    "VALUES (2, 't', 'log', 5, 'succeeded', :at, '[]')"
                ),
                {"at": stamp},
            )
        upgrade()
        with db.engine.connect() as connection:
            personal = dict(connection.execute(text("SELECT personal_for, id FROM workspaces")).all())
            assert set(personal) == {1, 2}
            names = dict(connection.execute(text("SELECT personal_for, name FROM workspaces")).all())
            assert names == {1: "ada@example.com", 2: "bob@example.com"}
            members = set(
                connection.execute(text("SELECT workspace_id, user_id, role FROM memberships")).all()
            )
            assert members == {(personal[1], 1, "owner"), (personal[2], 2, "owner")}
            jobs = set(
                connection.execute(text("SELECT id, workspace_id, version, schedule_version FROM jobs")).all()
            )
            assert jobs == {(10, personal[1], 3, 3), (11, personal[2], 1, 1)}
            executions = set(connection.execute(text("SELECT job_id, workspace_id FROM executions")).all())
            assert executions == {(10, personal[1]), (11, personal[2])}
            runs = connection.execute(text("SELECT workspace_id FROM test_runs")).scalars().all()
            assert runs == [personal[2]]
        db.engine.dispose()
