"""Marshmallow schemas: what comes in (validated), what goes out (dumped), and the list envelope.

Field checks live on the fields; the rules that span fields (a cron job needs an expression, a
one-time job a `run_at` in the future, ...) live in `validate_job`, which the create schema runs on
its input and `PATCH /jobs/{id}` runs on the stored job merged with the patch, so a job is always
validated as a whole. Schedules are checked with `scheduling/cron.py`, the same code the planner uses.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import marshmallow as ma
from flask import current_app
from marshmallow import ValidationError, fields, validate
from sqlalchemy import Select, func, select

from .extensions import db
from .masking import CREDENTIAL_WORDS, MASK, mask_target, mask_url_text
from .models import (
    DEFAULT_BACKOFF,
    EXECUTION_STATUSES,
    JOB_STATUSES,
    JOB_TYPES,
    MAX_ID,
    MISFIRE_POLICIES,
    OVERLAP_POLICIES,
    SCHEDULE_TYPES,
    TEST_RUN_STATUSES,
    TRIGGERS,
    User,
    db_now,
)
from .scheduling.cron import (
    FOLD_POLICIES,
    GAP_POLICIES,
    MAX_JITTER_SECONDS,
    ScheduleError,
    load_zone,
    validate_cron,
)

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
SCHEDULE_FIELDS = ("job_type", "schedule_type", "cron_expression", "interval_seconds", "run_at", "timezone")
# The one field each schedule type uses; the others are cleared when a job is stored.
_SCHEDULE_VALUE = {"cron": "cron_expression", "interval": "interval_seconds", "once": "run_at"}
# RFC 9110 token characters: anything else in a header name is refused rather than sent.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
MAX_INTERVAL_SECONDS = 366 * 24 * 3600 * 10
MAX_PAGE = 1_000_000


class Schema(ma.Schema):
    """Every input schema refuses unknown fields (marshmallow's default, stated for the reader)."""

    class Meta:
        unknown = ma.RAISE


# --- helpers shared with the routes -------------------------------------------------------------

def json_size(value: Any) -> int:
    """Bytes of the compact JSON serialisation (what is stored and sent)."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def check_url(value: str) -> None:
    """An http(s) URL naming a host, or ValidationError."""
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise ValidationError("A URL may not contain spaces or control characters.")
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        raise ValidationError("Not a valid URL.")
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError("Only http:// and https:// URLs are allowed.")
    if not parts.hostname:
        raise ValidationError("The URL must name a host.")


def _check_payload_size(value: Any) -> None:
    limit = current_app.config["MAX_PAYLOAD_BYTES"]
    size = json_size(value)
    if size > limit:
        raise ValidationError(f"Too large: {size} bytes serialised, the limit is {limit}.")


def _check_timeout(value: int) -> None:
    limit = current_app.config["MAX_TIMEOUT_SECONDS"]
    if not 1 <= value <= limit:
        raise ValidationError(f"Must be between 1 and {limit} seconds.")


def _check_zone(value: str) -> None:
    try:
        load_zone(value)
    except ScheduleError as exc:
        raise ValidationError(str(exc))


def _check_handler(value: str) -> None:
    from .handlers import handler_names

    names = handler_names()
    if value not in names:
        raise ValidationError(f"Unknown handler {value!r}; use one of: {', '.join(names)}.")


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("May not be blank.")


# --- pagination ---------------------------------------------------------------------------------

class PageQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE),
                          metadata={"description": "Page number, from 1."})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100),
                           metadata={"description": "Items per page, 1 to 100."})


class PageSchema(ma.Schema):
    page = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "Items across all pages."})


def page_schema(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The list envelope {items, page, limit, total} around `item` (named for the OpenAPI document)."""
    return type(name, (PageSchema,), {"items": fields.List(fields.Nested(item), required=True)})


def page_of(statement: Select, args: dict[str, Any]) -> dict[str, Any]:
    """Run `statement` (already ordered) for one page and count all its rows: the list envelope."""
    page, limit = args["page"], args["limit"]
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    items = db.session.scalars(statement.limit(limit).offset((page - 1) * limit)).unique().all()
    return {"items": items, "page": page, "limit": limit, "total": total or 0}


# --- auth ---------------------------------------------------------------------------------------

class RegisterSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    password = fields.String(required=True, load_only=True, validate=validate.Length(
        min=8, max=1024, error="Must be between {min} and {max} characters."))

    @ma.pre_load
    def _strip(self, data: Any, **_: Any) -> Any:
        # Pasted addresses often carry spaces; they are not part of the address.
        if isinstance(data, dict) and isinstance(data.get("email"), str):
            data = {**data, "email": data["email"].strip()}
        return data

    @ma.post_load
    def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["email"] = User.normalize_email(data["email"])
        return data


class LoginSchema(Schema):
    # Not fields.Email: a malformed address must get the same 401 as a wrong one.
    email = fields.String(required=True, validate=validate.Length(max=320))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=1024))


class LogoutSchema(Schema):
    refresh_token = fields.String(validate=validate.Length(max=4096),
                                  metadata={"description": "Also revoke this refresh token."})


class UserSchema(ma.Schema):
    id = fields.Integer(dump_only=True)
    email = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class TokenSchema(ma.Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "Access token lifetime, seconds."})
    user = fields.Nested(UserSchema, required=True)


class RegisteredSchema(UserSchema):
    """A new account: the user (as before, at the top level) and tokens, so sign-up signs in."""

    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "Access token lifetime, seconds."})
    user = fields.Nested(UserSchema, required=True)


# --- jobs ---------------------------------------------------------------------------------------

class TargetSchema(Schema):
    url = fields.String(required=True, validate=[validate.Length(max=2048), check_url])
    method = fields.String(validate=validate.OneOf(HTTP_METHODS),
                           metadata={"description": "Default POST."})
    headers = fields.Dict(
        keys=fields.String(validate=[validate.Length(min=1, max=256),
                                     validate.Regexp(_HEADER_NAME, error="Not a valid header name.")]),
        values=fields.String(validate=[validate.Length(max=8192),
                                       validate.Regexp(r"^[^\r\n\x00]*$",
                                                       error="Header values may not contain line breaks.")]),
        validate=validate.Length(max=50),
        metadata={"description": f"Credential values (names containing {', '.join(CREDENTIAL_WORDS)}) are "
                                 f"shown as {MASK!r}; send {MASK!r} back to keep one."})
    body = fields.Raw(allow_none=True, metadata={
        "description": "A string or any JSON value; without it the job's payload is sent as JSON."})

    @ma.pre_load
    def _upper_method(self, data: Any, **_: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("method"), str):
            data = {**data, "method": data["method"].upper()}
        return data

    @ma.validates_schema
    def _one_kind_of_login(self, data: dict[str, Any], **_: Any) -> None:
        # Both would be sent: the HTTP client refuses the combination at call time.
        has_user = bool(urlsplit(data.get("url") or "").username)
        if has_user and any(name.lower() == "authorization" for name in data.get("headers") or {}):
            raise ValidationError("The URL carries a user name and password and the headers an "
                                  "Authorization header: keep one of the two.", "url")

    @ma.post_load
    def _defaults(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data.setdefault("method", "POST")
        data.setdefault("headers", {})
        return data


_RUN_AT_ERRORS: dict[str, Any] = {"invalid": "Not a valid ISO 8601 date-time.",
                  "invalid_awareness": "Must carry a UTC offset, e.g. 2026-12-01T09:00:00+01:00."}


class JobPatchSchema(Schema):
    """Every field a user may set on a job; in a PATCH any subset of them."""

    name = fields.String(validate=[validate.Length(min=1, max=200), _not_blank])
    description = fields.String(validate=validate.Length(max=10_000))
    job_type = fields.String(validate=validate.OneOf(JOB_TYPES),
                             metadata={"description": "Derived from schedule_type when omitted."})
    schedule_type = fields.String(validate=validate.OneOf(SCHEDULE_TYPES),
                                  metadata={"description": "Derived from job_type when omitted "
                                                           "(one_time → once)."})
    cron_expression = fields.String(allow_none=True, validate=validate.Length(max=200), metadata={
        "description": "5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, "
                       "or @daily etc.; evaluated in `timezone`.", "example": "0 9 * * 1"})
    interval_seconds = fields.Integer(strict=True, allow_none=True,
                                      validate=validate.Range(min=1, max=MAX_INTERVAL_SECONDS))
    run_at = fields.AwareDateTime(allow_none=True, error_messages=_RUN_AT_ERRORS,
                                  metadata={"description": "ISO 8601 with a UTC offset; in the future."})
    timezone = fields.String(validate=[validate.Length(max=64), _check_zone],
                             metadata={"description": "IANA name; default UTC.", "example": "Europe/Berlin"})
    handler = fields.String(validate=[validate.Length(max=64), _check_handler],
                            metadata={"description": "What runs: 'log' (default) or 'http'."})
    target = fields.Nested(TargetSchema, allow_none=True,
                           metadata={"description": "The HTTP call, for handler 'http'."})
    payload = fields.Raw(allow_none=True, validate=_check_payload_size)
    timeout_seconds = fields.Integer(strict=True, validate=_check_timeout)
    max_retries = fields.Integer(strict=True, validate=validate.Range(min=0, max=10))
    retry_backoff_seconds = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=7 * 24 * 3600)),
        validate=validate.Length(min=1, max=10),
        metadata={"description": "Delay before retry n (the last repeats); default [60, 300, 900]."})
    retry_on_client_error = fields.Boolean(metadata={"description": "Retry HTTP 4xx answers too."})
    overlap_policy = fields.String(validate=validate.OneOf(OVERLAP_POLICIES))
    misfire_policy = fields.String(validate=validate.OneOf(MISFIRE_POLICIES))
    notify_on_failure = fields.Boolean()
    notify_on_recovery = fields.Boolean()
    notify_emails = fields.List(fields.Email(validate=validate.Length(max=320)),
                                validate=validate.Length(max=20))
    notify_webhook_url = fields.String(allow_none=True, validate=[validate.Length(max=2048), check_url])
    status = fields.String(validate=validate.OneOf(("active", "paused"),
                                                   error="Must be 'active' or 'paused'."),
                           metadata={"description": "Pause or resume the job."})

    @ma.validates_schema
    def _target_size(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("target"):
            limit = current_app.config["MAX_PAYLOAD_BYTES"]
            if json_size(data["target"]) > limit:
                raise ValidationError(f"Too large: the limit is {limit} bytes serialised.", "target")


class JobCreateSchema(JobPatchSchema):
    """A new job: the same fields, with defaults, validated as a whole."""

    class Meta:
        exclude = ("status",)
        unknown = ma.RAISE

    name = fields.String(required=True, validate=[validate.Length(min=1, max=200), _not_blank])
    description = fields.String(load_default="", validate=validate.Length(max=10_000))
    timezone = fields.String(load_default="UTC", validate=[validate.Length(max=64), _check_zone],
                             metadata={"description": "IANA name; default UTC.", "example": "Europe/Berlin"})
    handler = fields.String(load_default="log", validate=[validate.Length(max=64), _check_handler],
                            metadata={"description": "What runs: 'log' (default) or 'http'."})
    timeout_seconds = fields.Integer(strict=True, load_default=30, validate=_check_timeout)
    max_retries = fields.Integer(strict=True, load_default=3, validate=validate.Range(min=0, max=10))
    retry_backoff_seconds = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=7 * 24 * 3600)),
        load_default=lambda: list(DEFAULT_BACKOFF), validate=validate.Length(min=1, max=10))
    retry_on_client_error = fields.Boolean(load_default=False)
    overlap_policy = fields.String(load_default="allow", validate=validate.OneOf(OVERLAP_POLICIES))
    misfire_policy = fields.String(load_default="run_once", validate=validate.OneOf(MISFIRE_POLICIES))
    notify_on_failure = fields.Boolean(load_default=True)
    notify_on_recovery = fields.Boolean(load_default=False)
    notify_emails = fields.List(fields.Email(validate=validate.Length(max=320)), load_default=list,
                                validate=validate.Length(max=20))

    @ma.post_load
    def _whole_job(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return validate_job(data, incoming=data.keys())


def validate_job(values: dict[str, Any], incoming: Iterable[str]) -> dict[str, Any]:
    """Check the rules that span fields; return the values to store, or raise ValidationError.

    `values` is the whole job (for a PATCH: stored fields merged with the patch); `incoming` names
    the fields this request sent — time- and config-dependent rules (run_at in the future, the
    minimum interval) apply to those only, so renaming a job that ran yesterday stays possible.
    """
    values = dict(values)
    incoming = set(incoming)
    errors: dict[str, list[str]] = {}

    def error(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    job_type, schedule_type = values.get("job_type"), values.get("schedule_type")
    if schedule_type is None and job_type == "one_time":
        schedule_type = "once"
    if job_type is None and schedule_type is not None:
        job_type = "one_time" if schedule_type == "once" else "recurring"
    if schedule_type is None:
        error("schedule_type", "Missing data for required field: 'cron', 'interval' or 'once'.")
    elif (job_type == "one_time") != (schedule_type == "once"):
        error("job_type", f"job_type {job_type!r} does not go with schedule_type {schedule_type!r}: "
                          "a one_time job has schedule_type 'once', a recurring one 'cron' or 'interval'.")
    values["job_type"], values["schedule_type"] = job_type, schedule_type

    if schedule_type == "cron":
        expression = values.get("cron_expression")
        if expression is None:
            error("cron_expression", "Required when schedule_type is 'cron'.")
        else:
            try:
                values["cron_expression"] = validate_cron(expression)
            except ScheduleError as exc:
                error("cron_expression", str(exc))
    elif schedule_type == "interval":
        seconds = values.get("interval_seconds")
        minimum = current_app.config["MIN_INTERVAL_SECONDS"]
        if seconds is None:
            error("interval_seconds", "Required when schedule_type is 'interval'.")
        elif "interval_seconds" in incoming and seconds < minimum:
            error("interval_seconds", f"Must be at least {minimum} seconds.")
    elif schedule_type == "once":
        run_at = values.get("run_at")
        if run_at is None:
            error("run_at", "Required when schedule_type is 'once' (ISO 8601 with a UTC offset).")
        elif "run_at" in incoming and run_at <= db_now():
            error("run_at", "Must be in the future.")

    if values.get("handler") == "http" and not (values.get("target") or {}).get("url"):
        error("target", "The 'http' handler needs a target with a url.")
    if errors:
        raise ValidationError(errors)

    # Only the field of the chosen schedule type is kept, so a job never carries a stale schedule.
    for kind, name in _SCHEDULE_VALUE.items():
        if kind != schedule_type:
            values[name] = None
    return values


class JobSchema(ma.Schema):
    """A stored job as the API shows it (secret-looking target header values masked)."""

    id = fields.Integer(dump_only=True)
    name = fields.String()
    description = fields.String()
    job_type = fields.String(metadata={"enum": list(JOB_TYPES)})
    schedule_type = fields.String(metadata={"enum": list(SCHEDULE_TYPES)})
    cron_expression = fields.String(allow_none=True)
    interval_seconds = fields.Integer(allow_none=True)
    run_at = fields.DateTime(allow_none=True)
    timezone = fields.String()
    handler = fields.String()
    target = fields.Nested(TargetSchema, allow_none=True)
    payload = fields.Raw(allow_none=True)
    timeout_seconds = fields.Integer()
    max_retries = fields.Integer()
    retry_backoff_seconds = fields.List(fields.Integer())
    retry_on_client_error = fields.Boolean()
    overlap_policy = fields.String(metadata={"enum": list(OVERLAP_POLICIES)})
    misfire_policy = fields.String(metadata={"enum": list(MISFIRE_POLICIES)})
    notify_on_failure = fields.Boolean()
    notify_on_recovery = fields.Boolean()
    notify_emails = fields.List(fields.String())
    notify_webhook_url = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(JOB_STATUSES)})
    next_run_at = fields.DateTime(allow_none=True)
    last_run_at = fields.DateTime(allow_none=True)
    last_status = fields.String(allow_none=True)
    version = fields.Integer(metadata={"description": "Bumped on every schedule edit."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    @ma.post_dump
    def _mask(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("target"):
            data["target"] = mask_target(data["target"])
        if data.get("notify_webhook_url"):
            data["notify_webhook_url"] = mask_url_text(data["notify_webhook_url"])
        return data


class JobWithSecretSchema(JobSchema):
    signing_secret = fields.String(metadata={
        "description": "HMAC-SHA256 key for X-Chronos-Signature; shown only now."})


class JobQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(JOB_STATUSES))
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "Name contains (any case)."})


JobPageSchema = page_schema(JobSchema, "JobPageSchema")


def job_values(job: Any) -> dict[str, Any]:
    """The user-settable fields of a stored job, as a loaded schema would give them."""
    return {name: getattr(job, name) for name in JobPatchSchema().fields}


# --- executions ---------------------------------------------------------------------------------

class ExecutionSchema(ma.Schema):
    id = fields.Integer()
    job_id = fields.Integer()
    job_name = fields.String(attribute="job.name")
    job_timezone = fields.String(attribute="job.timezone",
                                 metadata={"description": "The job's time zone, to show times in."})
    status = fields.String(metadata={"enum": list(EXECUTION_STATUSES)})
    trigger = fields.String(metadata={"enum": list(TRIGGERS)})
    scheduled_for = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    duration_ms = fields.Integer(allow_none=True)
    attempt = fields.Integer(metadata={"description": "Attempts started so far."})
    next_attempt_at = fields.DateTime(allow_none=True)
    result = fields.Raw(allow_none=True)
    error = fields.String(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "Why it was skipped or cancelled."})
    missed_count = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class NotificationSchema(ma.Schema):
    """One notification as the API shows it (no SMTP settings, ever)."""

    id = fields.Integer(dump_only=True)
    execution_id = fields.Integer(dump_only=True)
    job_id = fields.Integer(dump_only=True)
    channel = fields.String(dump_only=True, metadata={"description": "email | webhook"})
    kind = fields.String(dump_only=True, metadata={"description": "failure | recovery"})
    recipient = fields.Function(lambda n: mask_url_text(n.recipient) if n.channel == "webhook" else n.recipient,
                                dump_only=True, metadata={"type": "string", "description":
                                                          "E-mail address or webhook URL (credentials masked)."})
    status = fields.String(dump_only=True, metadata={
        "description": "pending (queued, or waiting for a retry after `error`) | sending | sent | "
                       "failed (gave up; see `error`) | suppressed (throttled)"})
    tries = fields.Integer(dump_only=True, metadata={"description": "Send attempts made so far."})
    error = fields.String(dump_only=True, allow_none=True)
    suppressed_count = fields.Integer(dump_only=True, metadata={
        "description": "Failures of the job not notified (throttled) since the previous notice."})
    created_at = fields.DateTime(dump_only=True)
    sent_at = fields.DateTime(dump_only=True, allow_none=True)


class ExecutionDetailSchema(ExecutionSchema):
    attempts = fields.List(fields.Dict(), metadata={"description": "Each attempt's outcome."})
    notifications = fields.List(fields.Nested(NotificationSchema),
                                metadata={"description": "Failure/recovery notices sent about it."})


class ExecutionQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(EXECUTION_STATUSES))
    include = fields.String(validate=validate.OneOf(("planned",)), metadata={
        "description": "History shows what happened; 'planned' adds the slots planned ahead (pending, "
                       "not yet due)."})


class ExecutionListQuerySchema(ExecutionQuerySchema):
    job_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class ExecutionLogSchema(ma.Schema):
    id = fields.Integer()
    timestamp = fields.DateTime()
    level = fields.String()
    message = fields.String()
    attempt = fields.Integer()
    data = fields.Raw(allow_none=True)


class LogQuerySchema(PageQuerySchema):
    attempt = fields.Integer(validate=validate.Range(min=0, max=1000),
                             metadata={"description": "Only this attempt's lines."})


ExecutionPageSchema = page_schema(ExecutionSchema, "ExecutionPageSchema")
ExecutionLogPageSchema = page_schema(ExecutionLogSchema, "ExecutionLogPageSchema")


# --- test runs ----------------------------------------------------------------------------------

class TestRunCreateSchema(Schema):
    """An unsaved job's action to try once: the editor's "Test run"."""

    __test__ = False  # not a pytest test class, whatever its name

    handler = fields.String(load_default="log", validate=[validate.Length(max=64), _check_handler],
                            metadata={"description": "What runs: 'log' (default) or 'http'."})
    target = fields.Nested(TargetSchema, allow_none=True,
                           metadata={"description": "The HTTP call, for handler 'http'."})
    payload = fields.Raw(allow_none=True, validate=_check_payload_size)
    timeout_seconds = fields.Integer(strict=True, load_default=30, validate=_check_timeout)
    name = fields.String(load_default="", validate=validate.Length(max=200),
                         metadata={"description": "The job's name, as the handler sees it."})
    job_id = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=MAX_ID),
                            metadata={"description": "The saved job being edited: its stored secret "
                                                     "header values replace '****', its signing secret "
                                                     "signs the call."})

    @ma.validates_schema
    def _whole(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("handler") == "http" and not (data.get("target") or {}).get("url"):
            raise ValidationError("The 'http' handler needs a target with a url.", "target")
        if data.get("target"):
            limit = current_app.config["MAX_PAYLOAD_BYTES"]
            if json_size(data["target"]) > limit:
                raise ValidationError(f"Too large: the limit is {limit} bytes serialised.", "target")


class TestRunLogSchema(ma.Schema):
    timestamp = fields.String(required=True, metadata={"description": "ISO 8601, UTC."})
    level = fields.String(required=True)
    message = fields.String(required=True)
    data = fields.Raw(allow_none=True)


class TestRunSchema(ma.Schema):
    """A test run as its owner sees it (secret-looking target header values masked, always)."""

    __test__ = False

    id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": list(TEST_RUN_STATUSES)})
    job_id = fields.Integer(allow_none=True, required=True)
    name = fields.String(required=True)
    handler = fields.String(required=True)
    target = fields.Nested(TargetSchema, allow_none=True, required=True)
    payload = fields.Raw(allow_none=True, required=True)
    timeout_seconds = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    started_at = fields.DateTime(allow_none=True, required=True)
    finished_at = fields.DateTime(allow_none=True, required=True)
    duration_ms = fields.Integer(allow_none=True, required=True)
    result = fields.Raw(allow_none=True, required=True, metadata={
        "description": "What the handler recorded: for 'http' the status, headers and a body excerpt."})
    error = fields.String(allow_none=True, required=True)
    logs = fields.List(fields.Nested(TestRunLogSchema), required=True)

    @ma.post_dump
    def _mask(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("target"):
            data["target"] = mask_target(data["target"])
        return data


# --- system status ------------------------------------------------------------------------------

class LatenessSchema(ma.Schema):
    runs = fields.Integer(required=True, metadata={"description": "First attempts started in the last hour."})
    p50_seconds = fields.Float(allow_none=True, required=True,
                               metadata={"description": "Median of started_at − scheduled_for."})
    p99_seconds = fields.Float(allow_none=True, required=True)


class OverdueRunSchema(ma.Schema):
    kind = fields.String(required=True, metadata={
        "enum": ["execution", "job"],
        "description": "execution: due, not picked up by a worker; job: its next run passed unplanned."})
    execution_id = fields.Integer(allow_none=True, required=True)
    job_id = fields.Integer(required=True)
    job_name = fields.String(required=True)
    timezone = fields.String(required=True, metadata={"description": "The job's time zone."})
    due_at = fields.DateTime(required=True)


class JobsHealthSchema(ma.Schema):
    """The signed-in user's own jobs."""

    overdue_count = fields.Integer(required=True)
    overdue = fields.List(fields.Nested(OverdueRunSchema), required=True,
                          metadata={"description": "The oldest overdue runs (at most 20)."})
    running_over_timeout = fields.Integer(required=True)
    lateness = fields.Nested(LatenessSchema, required=True)


class WorkerStateSchema(ma.Schema):
    name = fields.String(required=True)
    last_seen = fields.DateTime(required=True)
    seconds_since = fields.Integer(required=True)
    alive = fields.Boolean(required=True)


class QueueDepthSchema(ma.Schema):
    ready = fields.Integer(allow_none=True, required=True,
                           metadata={"description": "Tasks waiting for a worker (null: queue unreachable)."})
    scheduled = fields.Integer(allow_none=True, required=True,
                               metadata={"description": "Tasks waiting for their time."})


class SyncPassSchema(ma.Schema):
    worker = fields.String(required=True)
    started_at = fields.DateTime(required=True)
    finished_at = fields.DateTime(required=True)
    requeued = fields.Integer(required=True, metadata={"description": "Due executions queued again."})
    expired = fields.Integer(required=True, metadata={
        "description": "Running executions whose worker stopped responding, failed and retried."})
    details = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                          metadata={"description": "Every count the pass reported, by name."})


class SystemDetailsSchema(ma.Schema):
    """The scheduler itself: for administrators."""

    database = fields.String(required=True, metadata={"example": "ok"})
    queue = fields.String(required=True, metadata={"example": "ok"})
    workers_alive = fields.Integer(required=True, metadata={"description": "Heart-beat in the last 60 s."})
    workers = fields.List(fields.Nested(WorkerStateSchema), required=True,
                          metadata={"description": "Workers seen in the last 24 h, most recent first."})
    queue_depth = fields.Nested(QueueDepthSchema, required=True)
    overdue_count = fields.Integer(required=True, metadata={
        "description": "Executions due but unclaimed, and jobs whose next run passed unplanned."})
    running_over_timeout = fields.Integer(required=True)
    lateness = fields.Nested(LatenessSchema, required=True)
    last_sync = fields.Nested(SyncPassSchema, allow_none=True, required=True)


class SystemStatusSchema(ma.Schema):
    status = fields.String(required=True, metadata={"enum": ["ok", "degraded", "down"]})
    reasons = fields.List(fields.String(), required=True, metadata={"description": "Why, in words."})
    checked_at = fields.DateTime(required=True)
    late_after_seconds = fields.Integer(required=True, metadata={
        "description": "A run not started this long after its time is late."})
    jobs = fields.Nested(JobsHealthSchema, required=True)
    system = fields.Nested(SystemDetailsSchema, allow_none=True, required=True, metadata={
        "description": "Null for users who may not see the scheduler's own state."})


# --- cron preview -------------------------------------------------------------------------------

class DstPolicySchema(Schema):
    fold = fields.String(load_default="first", validate=validate.OneOf(FOLD_POLICIES), metadata={
        "description": "A wall time that happens twice (clocks go back): fire at its first occurrence, "
                       "its last, or both. Expressions whose hour runs all day fire at every real instant."})
    gap = fields.String(load_default="shift", validate=validate.OneOf(GAP_POLICIES), metadata={
        "description": "A wall time that does not exist (clocks go forward): fire at the first instant "
                       "after the gap, or skip the slot (reported with reason dst_gap)."})


class CronPreviewSchema(Schema):
    cron_expression = fields.String(required=True, validate=validate.Length(max=200))
    timezone = fields.String(load_default="UTC", validate=validate.Length(max=64))
    count = fields.Integer(strict=True, load_default=5, validate=validate.Range(min=1, max=50),
                           metadata={"description": "How many runs that fire to show."})
    dst_policy = fields.Nested(DstPolicySchema, load_default=lambda: {"fold": "first", "gap": "shift"})
    jitter_seconds = fields.Integer(strict=True, load_default=0,
                                    validate=validate.Range(min=0, max=MAX_JITTER_SECONDS), metadata={
        "description": "Delay each run by a fixed offset in 0..jitter_seconds drawn from the job and the "
                       "slot, never as far as the next slot."})
    job_id = fields.Integer(strict=True, load_default=None, allow_none=True,
                            validate=validate.Range(min=1, max=MAX_ID), metadata={
        "description": "The job whose jitter to show (it seeds the offsets); nothing about the job is read."})


class CronRunSchema(ma.Schema):
    at = fields.String(required=True, metadata={
        "description": "When it fires (jitter applied), ISO 8601 in the zone; for a skipped run, its slot."})
    at_utc = fields.String(required=True)
    dst = fields.String(required=True, allow_none=True, metadata={
        "enum": ["fold", "gap", None],
        "description": "fold: its wall time happens twice that night; gap: it does not exist that night."})
    offset_before = fields.String(required=True, allow_none=True, metadata={
        "description": "The UTC offset before the transition (\"+01:00\"); null without one."})
    offset_after = fields.String(required=True, allow_none=True)
    skipped = fields.String(required=True, allow_none=True, metadata={
        "description": "Why it does not fire: dst_gap, or 'calendar: <name>'; null when it fires."})
    note = fields.String(required=True, allow_none=True, metadata={
        "description": "What a transition or calendar does to this run, in words."})


class CronPreviewResultSchema(ma.Schema):
    valid = fields.Boolean(required=True)
    error = fields.String(metadata={"description": "Why the expression or zone is not valid."})
    expression = fields.String(metadata={"description": "The expression, normalised."})
    timezone = fields.String()
    next_runs = fields.List(fields.String(), metadata={
        "description": "The runs that fire (jitter applied), ISO 8601 in the zone, with offset."})
    next_runs_utc = fields.List(fields.String())
    runs = fields.List(fields.Nested(CronRunSchema), metadata={
        "description": "Every run up to the last of next_runs, skipped ones too, with DST markers."})


# --- dashboard and health -----------------------------------------------------------------------

class UpcomingSchema(ma.Schema):
    job_id = fields.Integer()
    name = fields.String()
    next_run_at = fields.DateTime()
    timezone = fields.String(metadata={"description": "The job's time zone, to show next_run_at in."})


class RecentFailureSchema(ma.Schema):
    execution_id = fields.Integer()
    job_id = fields.Integer()
    job_name = fields.String()
    finished_at = fields.DateTime(allow_none=True)
    error = fields.String(allow_none=True)


class HourBucketSchema(ma.Schema):
    hour = fields.DateTime(metadata={"description": "Start of the UTC hour."})
    succeeded = fields.Integer()
    failed = fields.Integer()


class DashboardSchema(ma.Schema):
    jobs_by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    executions_24h = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                 metadata={"description": "By status, for slots in the last 24 h."})
    success_rate_24h = fields.Float(allow_none=True, metadata={"description": "0..1; null with no runs."})
    duration_ms_mean_24h = fields.Float(allow_none=True)
    duration_ms_p95_24h = fields.Float(allow_none=True)
    upcoming = fields.List(fields.Nested(UpcomingSchema))
    recent_failures = fields.List(fields.Nested(RecentFailureSchema))
    runs_by_hour_24h = fields.List(fields.Nested(HourBucketSchema))


class LiveSchema(ma.Schema):
    status = fields.String(metadata={"example": "ok"})


class HealthSchema(LiveSchema):
    database = fields.String(metadata={"example": "ok"})
    queue = fields.String(metadata={"example": "ok"})


class ReadySchema(HealthSchema):
    workers = fields.Integer(allow_none=True, metadata={
        "description": "Consumers seen in the last 60 s (null when the database is unreachable)."})
