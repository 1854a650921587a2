"""The one error shape: {"code", "status", "message", "errors"?} for every failure, and its handlers."""
from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, jsonify
from flask_jwt_extended import JWTManager
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def error_response(code: int, message: str, errors: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> tuple[Response, int, dict[str, str]]:
    """Build the error body; the only place that does."""
    body: dict[str, Any] = {"code": code, "status": HTTPStatus(code).phrase, "message": message}
    if errors:
        body["errors"] = errors
    return jsonify(body), code, headers or {}


def _flatten(messages: Any) -> dict[str, Any]:
    """webargs nests errors by location ({"json": {...}}); users care about the field."""
    if not isinstance(messages, dict):
        return {"_schema": messages if isinstance(messages, list) else [str(messages)]}
    flat: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


def _describe(errors: dict[str, Any]) -> str:
    if errors.get("_schema") == ["Invalid input type."]:
        return "The request body must be a JSON object."
    parts = []
    for field, value in list(errors.items())[:3]:
        text = value
        while isinstance(text, (list, dict)) and text:
            text = text[0] if isinstance(text, list) else next(iter(text.values()))
        name = "request" if field == "_schema" else f"'{field}'"
        parts.append(f"{name}: {text}")
    return "Invalid input — " + "; ".join(parts) if parts else "Invalid input."


def handle_http_exception(exc: HTTPException) -> Any:
    code = exc.code or 500
    data = getattr(exc, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if code == 429:
        retry_after = getattr(exc, "retry_after", None)
        message = f"Too many requests: limit of {exc.description} exceeded. Try again later."
        if retry_after:
            headers.setdefault("Retry-After", str(retry_after))
        return error_response(code, message, headers=headers)
    if "messages" in data:  # webargs / marshmallow validation
        errors = _flatten(data["messages"])
        return error_response(code, data.get("message") or _describe(errors), errors, headers)
    message = data.get("message") or exc.description or HTTPStatus(code).phrase
    if code == 405:
        message = "Method not allowed on this resource."
    elif code == 404 and message == exc.__class__.description:
        message = "Not found."
    return error_response(code, message, data.get("errors"), headers)


def handle_unexpected(exc: Exception) -> Any:
    log.exception("Unhandled error")
    return error_response(500, "Internal server error.")


def register_error_handlers(app: Flask, jwt: JWTManager) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)

    @jwt.unauthorized_loader
    def _missing(reason: str) -> Any:
        return error_response(401, f"Authentication required: {reason}.")

    @jwt.invalid_token_loader
    def _invalid(reason: str) -> Any:
        return error_response(401, f"Invalid token: {reason}.")

    @jwt.expired_token_loader
    def _expired(header: dict, payload: dict) -> Any:
        return error_response(401, "Token has expired.")

    @jwt.revoked_token_loader
    def _revoked(header: dict, payload: dict) -> Any:
        return error_response(401, "Token has been revoked.")

    @jwt.needs_fresh_token_loader
    def _fresh(header: dict, payload: dict) -> Any:
        return error_response(401, "A fresh token is required.")

    @jwt.token_verification_failed_loader
    def _claims(header: dict, payload: dict) -> Any:
        return error_response(401, "Invalid token: its claims did not verify.")

    @jwt.user_lookup_error_loader
    def _no_user(header: dict, payload: dict) -> Any:
        return error_response(401, "The token's user no longer exists.")
