"""The OpenAPI document and the human docs page, generated from the same schemas."""

from __future__ import annotations

from .support import API


def test_openapi_document_has_the_schemas_and_every_path(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.") and spec["info"]["title"] == "Chronos"
    schemas = spec["components"]["schemas"]
    for name in (
        "Job",
        "JobCreate",
        "JobPatch",
        "JobWithSecret",
        "Target",
        "Execution",
        "ExecutionDetail",
        "ExecutionLog",
        "JobPage",
        "CronPreview",
        "Dashboard",
        "Token",
        "Error",
    ):
        assert name in schemas, name
    job_fields = schemas["Job"]["properties"]
    for name in (
        "id",
        "name",
        "cron_expression",
        "run_at",
        "timezone",
        "handler",
        "target",
        "status",
        "next_run_at",
        "last_run_at",
        "max_retries",
        "retry_backoff_seconds",
        "overlap_policy",
    ):
        assert name in job_fields, name
    assert "signing_secret" not in job_fields
    paths = spec["paths"]
    for path, methods in {
        "/api/v1/auth/register": {"post"},
        "/api/v1/auth/login": {"post"},
        "/api/v1/auth/refresh": {"post"},
        "/api/v1/auth/logout": {"post"},
        "/api/v1/auth/me": {"get"},
        "/api/v1/jobs": {"get", "post"},
        "/api/v1/jobs/{job_id}": {"get", "patch", "delete"},
        "/api/v1/jobs/{job_id}/pause": {"post"},
        "/api/v1/jobs/{job_id}/resume": {"post"},
        "/api/v1/jobs/{job_id}/execute": {"post"},
        "/api/v1/jobs/{job_id}/rotate-secret": {"post"},
        "/api/v1/jobs/{job_id}/executions": {"get"},
        "/api/v1/executions/{execution_id}": {"get"},
        "/api/v1/executions/{execution_id}/logs": {"get"},
        "/api/v1/cron/preview": {"post"},
        "/api/v1/dashboard/stats": {"get"},
        "/api/v1/health": {"get"},
    }.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))


def test_protected_routes_declare_bearer_auth_and_open_ones_do_not(client):
    spec = client.get(f"{API}/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    paths = spec["paths"]
    assert paths["/api/v1/jobs"]["post"]["security"] == [{"bearerAuth": []}]
    assert paths["/api/v1/executions/{execution_id}/logs"]["get"]["security"] == [{"bearerAuth": []}]
    assert "401" in paths["/api/v1/jobs/{job_id}"]["get"]["responses"]
    assert "404" in paths["/api/v1/jobs/{job_id}"]["get"]["responses"]
    assert "422" in paths["/api/v1/jobs"]["post"]["responses"]
    for open_path, method in (
        ("/api/v1/health", "get"),
        ("/api/v1/cron/preview", "post"),
        ("/api/v1/auth/login", "post"),
    ):
        assert "security" not in paths[open_path][method], open_path
    assert "cascade" in paths["/api/v1/jobs/{job_id}"]["delete"]["description"]


def test_docs_page_loads_swagger_ui_from_the_vendored_files(client):
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "/api-docs/swagger-ui-bundle.js" in page and "/api/v1/openapi.json" in page
    assert "//cdn" not in page


def test_every_operation_lists_its_statuses_and_no_catch_all(client):
    """A `default` response would make any status "documented"; each status is listed instead."""
    spec = client.get(f"{API}/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            codes = set(operation["responses"])
            assert "default" not in codes, (method, path)
            assert "400" in codes, (method, path)  # the input rule: a NUL in a header, a malformed body
            if method in ("post", "patch"):
                assert "413" in codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if operation.get("security"):
                assert "401" in codes, (method, path)
            assert ("429" in codes) == (not path.startswith("/api/v1/health")), (method, path)
            if any(p["in"] == "query" for p in operation.get("parameters", [])):
                assert {"414", "422"} <= codes, (method, path)
                assert "text/html" in operation["responses"]["414"]["content"]


def test_create_job_examples_in_the_document_are_valid_jobs(client, alice):
    spec = client.get(f"{API}/openapi.json").get_json()
    examples = spec["paths"]["/api/v1/jobs"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert len(examples) >= 3
    for example in examples.values():
        response = client.post(f"{API}/jobs", json=example["value"], headers=alice)
        assert response.status_code == 201, response.get_json()


def test_operations_acting_in_a_workspace_document_the_workspace_header(client):
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]

    def header(path: str, method: str):
        parameters = paths[path][method].get("parameters", [])
        return [p for p in parameters if p.get("in") == "header" and p.get("name") == "X-Chronos-Workspace"]

    for path, method in (
        ("/api/v1/jobs", "get"),
        ("/api/v1/jobs", "post"),
        ("/api/v1/dashboard/stats", "get"),
    ):
        (documented,) = header(path, method)
        assert documented["required"] is False and "404" in paths[path][method]["responses"]
    # The workspace is in the path, or the route acts in none: no header.
    assert header("/api/v1/workspaces/{workspace_id}/members", "get") == []
    assert header("/api/v1/auth/me", "get") == [] and header("/api/v1/workspaces", "get") == []
    assert not any("x-chronos-acts-in-workspace" in op for ops in paths.values() for op in ops.values())
