"""Schemathesis against a live server: every operation of the OpenAPI document, signed in.

Each operation gets the document's examples, the coverage phase (boundary and invalid values of
every parameter and field, NUL characters included) and random valid and invalid cases, and every
response must pass four checks: no 5xx, a status code the document lists, the content type it
lists, and a body that matches its schema. Where they disagree the document is what gets fixed.
"""
from __future__ import annotations

import zlib
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from chronos import create_app

from .conftest import EXAMPLES, LONG_RUN, LiveServer, Tally, seed_history

CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance")
PASSWORD = "correct horse battery"


def _config() -> SchemathesisConfig:
    enabled = "\n".join(f"{name} = {{ enabled = true }}" for name in CHECKS)
    return SchemathesisConfig.from_str(f"""
suppress-health-check = ["too_slow", "filter_too_much", "data_too_large", "large_base_example"]
[generation]
mode = "all"
max-examples = {EXAMPLES}
deterministic = {str(not LONG_RUN).lower()}
allow-x00 = true
database = "none"
with-security-parameters = false
[checks]
enabled = false
{enabled}
[phases.examples]
enabled = true
[phases.coverage]
enabled = true
[phases.fuzzing]
enabled = true
[phases.stateful]
enabled = false
""")


SEED_JOBS: list[dict[str, Any]] = [
    {"name": "Weekly Newsletter", "description": "Send newsletter every Monday", "job_type": "recurring",
     "schedule_type": "cron", "cron_expression": "0 9 * * 1", "timezone": "Europe/Berlin",
     "payload": {"template": "weekly_digest"}},
    {"name": "Every minute", "schedule_type": "interval", "interval_seconds": 60, "handler": "http",
     "target": {"url": "https://example.org/hook", "method": "PUT",
                "headers": {"Authorization": "Bearer secret", "X-Trace": "1"}, "body": {"a": [1, None]}},
     "notify_emails": ["ops@example.org"], "notify_webhook_url": "https://example.org/notify"},
    {"name": "Once", "job_type": "one_time", "run_at": "2099-01-01T09:00:00+01:00", "payload": None,
     "overlap_policy": "forbid", "misfire_policy": "skip", "retry_backoff_seconds": [5]},
]


class Session:
    """The fuzzing user, the objects it owns, and its tokens.

    Refresh and logout cases get a fresh pair each, so the run's access token is never revoked.
    """

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url + "/api/v1", timeout=30)
        self.email = "fuzzer@example.org"
        response = self.http.post("/auth/register", json={"email": self.email, "password": PASSWORD})
        assert response.status_code == 201, response.text
        self.access = self.login()["access_token"]
        self.http.headers["Authorization"] = f"Bearer {self.access}"
        self.job_ids = [self.create_job(job) for job in SEED_JOBS]
        self.execution_ids: list[int] = []

    def login(self) -> dict[str, Any]:
        response = self.http.post("/auth/login", json={"email": self.email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return response.json()

    def create_job(self, job: dict[str, Any]) -> int:
        response = self.http.post("/jobs", json=job)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def token_for(self, path: str) -> str:
        """The bearer token a case at `path` should carry."""
        if path.endswith("/auth/refresh"):
            return self.login()["refresh_token"]
        if path.endswith("/auth/logout"):
            return self.login()["access_token"]
        return self.access

    def aim(self, case: Any) -> None:
        """Point a valid case at objects the user owns (a random id would only ever find a 404).

        Invalid cases keep their generated ids; a DELETE gets a job of its own, so the others live on.
        """
        if case.meta is None or case.meta.generation.mode.name.lower() != "positive":
            return
        params = case.path_parameters or {}
        if "job_id" in params:
            if case.method.upper() == "DELETE":
                params["job_id"] = self.create_job(SEED_JOBS[0])
            else:
                params["job_id"] = _pick(self.job_ids, params["job_id"])
        if "execution_id" in params and self.execution_ids:
            params["execution_id"] = _pick(self.execution_ids, params["execution_id"])
        if case.query and "job_id" in case.query:
            case.query["job_id"] = _pick(self.job_ids, case.query["job_id"])


def _pick(ids: list[int], generated: Any) -> int:
    # A stable hash (not hash(): salted per process), so a derandomized run aims the same way each time.
    return ids[zlib.crc32(str(generated).encode()) % len(ids)]


@pytest.fixture(scope="session")
def fuzz_session(live_server: LiveServer) -> Session:
    session = Session(live_server.url)
    session.execution_ids = seed_history(live_server.database_url, session.job_ids)
    return session


def _document() -> dict[str, Any]:
    """The OpenAPI document, built by the same code the live server runs (its copy is compared below)."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_ENABLED": False})
    with app.test_client() as client:
        return client.get("/api/v1/openapi.json").get_json()


DOCUMENT = _document()
# Loaded at collection (one test per operation); the server it is sent to starts with the session.
schema = schemathesis.openapi.from_dict(DOCUMENT, config=_config())


def test_the_live_server_serves_the_document_under_test(live_server: LiveServer) -> None:
    assert httpx.get(f"{live_server.url}/api/v1/openapi.json").json() == DOCUMENT


@schema.parametrize()
def test_every_operation_conforms_to_the_document(case, live_server: LiveServer, fuzz_session: Session,
                                                  tally: Tally) -> None:
    headers = {"Authorization": f"Bearer {fuzz_session.token_for(case.path)}"}
    fuzz_session.aim(case)
    tally.count("schemathesis cases")
    response = case.call(base_url=live_server.url, headers=headers, timeout=60)
    if response.status_code >= 500:
        tally.server_errors.append(f"{case.method} {case.formatted_path} -> {response.status_code}")
    case.validate_response(response, headers=headers)
