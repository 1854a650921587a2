"""What the OpenAPI document says about every operation, where no single route decorator can.

Some answers come from rules that hold for the whole API, not from one route: the input rule
(`chronos/inputs.py`: a malformed body or a NUL in a header is a 400 anywhere), the request size
limit (413 on any body), the rate limiter (429 on every route but the health probes), and the web
server's own limit on the request line (414, an HTML page from gunicorn). This apispec plugin adds
them to each operation as it is documented, so the document lists every status an operation can
answer and nothing else: flask-smorest's catch-all `default` response is dropped (it would make any
status "documented", and a client could not tell what to expect).
"""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin

from ..access import WORKSPACE_HEADER

# Set by `auth.protected` on operations that act in a workspace: they take the workspace header.
WORKSPACE_MARK = "x-chronos-acts-in-workspace"
WORKSPACE_PARAMETER = {
    "in": "header",
    "name": WORKSPACE_HEADER,
    "required": False,
    "description": "The id of the workspace to act in (a member's); without it, your personal "
    "workspace. An API key acts in its own workspace and ignores it. Not a member's: 404.",
    "schema": {"type": "string", "pattern": "^[0-9]+$", "maxLength": 20},
}
# Tags (blueprint names) of routes the rate limiter exempts.
UNLIMITED_TAGS = {"health"}
URI_TOO_LONG = {
    "description": "The request line is longer than the web server accepts (gunicorn: 4094 bytes); "
    "the server answers with its own HTML page.",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


class CommonResponses(BasePlugin):
    """Adds the statuses that API-wide rules give every operation (see the module docstring)."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        for method, operation in (operations or {}).items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            responses.pop("default", None)
            responses.setdefault("400", "BAD_REQUEST")
            if method in ("post", "put", "patch"):  # any body is read, and checked, up to the limit
                responses.setdefault("413", "REQUEST_ENTITY_TOO_LARGE")
            if "requestBody" in operation:
                responses.setdefault("422", "UNPROCESSABLE_ENTITY")
            if operation.pop(WORKSPACE_MARK, False) and "{workspace_id}" not in (path or ""):
                operation.setdefault("parameters", []).append(dict(WORKSPACE_PARAMETER))
                responses.setdefault("404", "NOT_FOUND")
            parameters = operation.get("parameters", [])
            if any(isinstance(p, dict) and p.get("in") == "query" for p in parameters):
                responses.setdefault("414", URI_TOO_LONG)
                responses.setdefault("422", "UNPROCESSABLE_ENTITY")
            if "{" in (path or ""):
                responses.setdefault("404", "NOT_FOUND")
            if operation.get("security"):
                responses.setdefault("401", "UNAUTHORIZED")
            if not UNLIMITED_TAGS & set(operation.get("tags", [])):
                responses.setdefault("429", "TOO_MANY_REQUESTS")
