"""Jobs: what comes in (validated as a whole job) and what goes out (credentials masked); test runs.

Field checks live on the fields; the rules that span fields (a cron job needs an expression, a
one-time job a `run_at` in the future, ...) live in `validate_job`, which a new job's schema runs on
its input and `PATCH /jobs/{id}` runs on the stored job merged with the patch, so a job is always
validated as a whole. Schedules are checked with `scheduling/cron.py`, the same code the planner uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC
from typing import Any
from urllib.parse import urlsplit

import marshmallow as ma
from flask import current_app
from marshmallow import ValidationError, fields, validate

from ..handlers import handler_names
from ..masking import CREDENTIAL_WORDS, MASK, mask_target, mask_url_text
from ..models import (
    DEFAULT_BACKOFF,
    JOB_STATUSES,
    JOB_TYPES,
    MAX_ID,
    MISFIRE_POLICIES,
    OVERLAP_POLICIES,
    SCHEDULE_TYPES,
    TEST_RUN_STATUSES,
    db_now,
)
from ..scheduling.cron import MAX_JITTER_SECONDS, ON_EXCLUDED, ScheduleError, load_zone, validate_cron
from ..scheduling.dependencies import MAX_UPSTREAMS, RUN_AFTER_ON
from .calendars import exclude_calendars_field, on_excluded_field
from .common import MAX_KEEP_DAYS, PageQuerySchema, Schema, check_url, json_size, page_schema
from .limits import check_concurrency_key
from .ops import DstPolicySchema

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
# The one field each schedule type uses; the others are cleared when a job is stored.
_SCHEDULE_VALUE = {
    "cron": "cron_expression",
    "interval": "interval_seconds",
    "once": "run_at",
    "after": "run_after",
}
# RFC 9110 token characters: anything else in a header name is refused rather than sent.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
MAX_INTERVAL_SECONDS = 366 * 24 * 3600 * 10
MAX_KEEP_LAST = 1_000_000


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
        raise ValidationError(str(exc)) from exc


def _check_handler(value: str) -> None:
    names = handler_names()
    if value not in names:
        raise ValidationError(f"Unknown handler {value!r}; use one of: {', '.join(names)}.")


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("May not be blank.")


class TargetSchema(Schema):
    url = fields.String(required=True, validate=[validate.Length(max=2048), check_url])
    method = fields.String(validate=validate.OneOf(HTTP_METHODS), metadata={"description": "Default POST."})
    headers = fields.Dict(
        keys=fields.String(
            validate=[
                validate.Length(min=1, max=256),
                validate.Regexp(_HEADER_NAME, error="Not a valid header name."),
            ]
        ),
        values=fields.String(
            validate=[
                validate.Length(max=8192),
                validate.Regexp(r"^[^\r\n\x00]*$", error="Header values may not contain line breaks."),
            ]
        ),
        validate=validate.Length(max=50),
        metadata={
            "description": f"Credential values (names containing {', '.join(CREDENTIAL_WORDS)}) are "
            f"shown as {MASK!r}; send {MASK!r} back to keep one."
        },
    )
    body = fields.Raw(
        allow_none=True,
        metadata={"description": "A string or any JSON value; without it the job's payload is sent as JSON."},
    )

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
            raise ValidationError(
                "The URL carries a user name and password and the headers an "
                "Authorization header: keep one of the two.",
                "url",
            )

    @ma.post_load
    def _defaults(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data.setdefault("method", "POST")
        data.setdefault("headers", {})
        return data


def _unique(values: list[int]) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("Name each job once.")


class RunAfterSchema(Schema):
    """Which jobs a job of schedule_type "after" runs after, and on what."""

    jobs = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID)),
        required=True,
        validate=[validate.Length(min=1, max=MAX_UPSTREAMS), _unique],
        metadata={"description": "Upstream job ids (yours); several make a fan-in: all must have run."},
    )
    on = fields.String(
        load_default="success",
        validate=validate.OneOf(RUN_AFTER_ON),
        metadata={"description": "Which final status of an upstream run counts (default success)."},
    )
    within_seconds = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_INTERVAL_SECONDS),
        metadata={"description": "A fan-in runs only if every upstream run is at most this old."},
    )


_RUN_AT_ERRORS: dict[str, Any] = {
    "invalid": "Not a valid ISO 8601 date-time.",
    "invalid_awareness": "Must carry a UTC offset, e.g. 2026-12-01T09:00:00+01:00.",
}


class JobInputSchema(Schema):
    """Every field a user sets on a job, with its default.

    A new job loads it whole (`JobCreateSchema`) and is validated as a whole by `validate_job`; a
    PATCH loads it partially (`JobPatchSchema`: any subset, no defaults) and the route validates
    the stored job merged with the patch.
    """

    name = fields.String(required=True, validate=[validate.Length(min=1, max=200), _not_blank])
    description = fields.String(load_default="", validate=validate.Length(max=10_000))
    job_type = fields.String(
        validate=validate.OneOf(JOB_TYPES),
        metadata={"description": "Derived from schedule_type when omitted."},
    )
    schedule_type = fields.String(
        validate=validate.OneOf(SCHEDULE_TYPES),
        metadata={"description": "Derived from job_type when omitted (one_time → once)."},
    )
    cron_expression = fields.String(
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={
            "description": "5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, "
            "or @daily etc.; evaluated in `timezone`.",
            "example": "0 9 * * 1",
        },
    )
    interval_seconds = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=MAX_INTERVAL_SECONDS)
    )
    run_at = fields.AwareDateTime(
        allow_none=True,
        error_messages=_RUN_AT_ERRORS,
        metadata={"description": "ISO 8601 with a UTC offset; in the future."},
    )
    run_after = fields.Nested(
        RunAfterSchema,
        allow_none=True,
        metadata={"description": 'For schedule_type "after": the jobs this one runs after.'},
    )
    timezone = fields.String(
        load_default="UTC",
        validate=[validate.Length(max=64), _check_zone],
        metadata={"description": "IANA name; default UTC.", "example": "Europe/Berlin"},
    )
    dst_policy = fields.Nested(
        DstPolicySchema,
        load_default=lambda: {"fold": "first", "gap": "shift"},
        metadata={
            "description": "What a fixed-hour cron schedule does when clocks go back (fold: first | last | "
            "both) or forward (gap: shift | skip); a missing key is its default. docs/time.md."
        },
    )
    exclude_calendars = exclude_calendars_field("Ids of your calendars whose days the job does not run on.")
    on_excluded = on_excluded_field(
        "On an excluded day: skip the run (recorded as skipped, reason 'calendar: <name>') or move it "
        "to the next business day at the same wall time."
    )
    jitter_seconds = fields.Integer(
        strict=True,
        load_default=0,
        validate=validate.Range(min=0, max=MAX_JITTER_SECONDS),
        metadata={
            "description": "Delay each run by a fixed offset in 0..jitter_seconds drawn from the job and the "
            "slot (the same on every planner), never as far as the next slot."
        },
    )
    handler = fields.String(
        load_default="log",
        validate=[validate.Length(max=64), _check_handler],
        metadata={"description": "What runs: 'log' (default) or 'http'."},
    )
    target = fields.Nested(
        TargetSchema, allow_none=True, metadata={"description": "The HTTP call, for handler 'http'."}
    )
    payload = fields.Raw(allow_none=True, validate=_check_payload_size)
    timeout_seconds = fields.Integer(strict=True, load_default=30, validate=_check_timeout)
    max_retries = fields.Integer(strict=True, load_default=3, validate=validate.Range(min=0, max=10))
    retry_backoff_seconds = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=7 * 24 * 3600)),
        load_default=lambda: list(DEFAULT_BACKOFF),
        validate=validate.Length(min=1, max=10),
        metadata={"description": "Delay before retry n (the last repeats); default [60, 300, 900]."},
    )
    retry_on_client_error = fields.Boolean(
        load_default=False, metadata={"description": "Retry HTTP 4xx answers too."}
    )
    overlap_policy = fields.String(load_default="allow", validate=validate.OneOf(OVERLAP_POLICIES))
    misfire_policy = fields.String(load_default="run_once", validate=validate.OneOf(MISFIRE_POLICIES))
    keep_days = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_KEEP_DAYS),
        metadata={"description": "Days of history kept for this job (null: the instance's default)."},
    )
    keep_last = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_KEEP_LAST),
        metadata={"description": "At most this many finished executions kept (null: no cap)."},
    )
    concurrency_key = fields.String(
        allow_none=True,
        load_default=None,
        validate=check_concurrency_key,
        metadata={
            "description": "Jobs sharing a key share its concurrency limit (PUT /concurrency-limits/{key}).",
            "example": "api.example.com",
        },
    )
    notify_on_failure = fields.Boolean(load_default=True)
    notify_on_recovery = fields.Boolean(load_default=False)
    notify_emails = fields.List(
        fields.Email(validate=validate.Length(max=320)), load_default=list, validate=validate.Length(max=20)
    )
    notify_webhook_url = fields.String(allow_none=True, validate=[validate.Length(max=2048), check_url])
    status = fields.String(
        validate=validate.OneOf(("active", "paused"), error="Must be 'active' or 'paused'."),
        metadata={"description": "Pause or resume the job."},
    )

    @ma.validates_schema
    def _target_size(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("target"):
            limit = current_app.config["MAX_PAYLOAD_BYTES"]
            if json_size(data["target"]) > limit:
                raise ValidationError(f"Too large: the limit is {limit} bytes serialised.", "target")

    @ma.post_load
    def _whole_job(self, data: dict[str, Any], *, partial: Any = None, **_: Any) -> dict[str, Any]:
        # A patch is validated once merged with the stored job, by the route.
        return data if partial else validate_job(data, incoming=data.keys())


class JobCreateSchema(JobInputSchema):
    """A new job: every field (with its default), validated as a whole; it starts active."""

    class Meta:
        exclude = ("status",)
        unknown = ma.RAISE


class JobPatchSchema(JobInputSchema):
    """Any subset of a job's fields, with no defaults (and `status`: pause or resume)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


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
        error("schedule_type", "Missing data for required field: 'cron', 'interval', 'once' or 'after'.")
    elif (job_type == "one_time") != (schedule_type == "once"):
        error(
            "job_type",
            f"job_type {job_type!r} does not go with schedule_type {schedule_type!r}: "
            "a one_time job has schedule_type 'once', a recurring one 'cron', 'interval' or 'after'.",
        )
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
        else:
            values["run_at"] = run_at.astimezone(UTC)  # stored, and shown, in UTC

    elif schedule_type == "after" and not values.get("run_after"):
        error("run_after", 'Required when schedule_type is "after": {"jobs": [ids], "on": "success"}.')

    if values.get("handler") == "http" and not (values.get("target") or {}).get("url"):
        error("target", "The 'http' handler needs a target with a url.")
    # A policy sent without one of its keys takes that key's default (the whole policy is replaced).
    policy = values.get("dst_policy") or {}
    values["dst_policy"] = {"fold": policy.get("fold", "first"), "gap": policy.get("gap", "shift")}
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
    run_after = fields.Nested(RunAfterSchema, allow_none=True)
    timezone = fields.String()
    dst_policy = fields.Nested(DstPolicySchema)
    exclude_calendars = fields.List(fields.Integer())
    on_excluded = fields.String(metadata={"enum": list(ON_EXCLUDED)})
    jitter_seconds = fields.Integer()
    handler = fields.String()
    target = fields.Nested(TargetSchema, allow_none=True)
    payload = fields.Raw(allow_none=True)
    timeout_seconds = fields.Integer()
    max_retries = fields.Integer()
    retry_backoff_seconds = fields.List(fields.Integer())
    retry_on_client_error = fields.Boolean()
    overlap_policy = fields.String(metadata={"enum": list(OVERLAP_POLICIES)})
    misfire_policy = fields.String(metadata={"enum": list(MISFIRE_POLICIES)})
    keep_days = fields.Integer(allow_none=True)
    keep_last = fields.Integer(allow_none=True)
    concurrency_key = fields.String(allow_none=True)
    notify_on_failure = fields.Boolean()
    notify_on_recovery = fields.Boolean()
    notify_emails = fields.List(fields.String())
    notify_webhook_url = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(JOB_STATUSES)})
    next_run_at = fields.DateTime(
        allow_none=True,
        metadata={"description": "When the job next fires: calendars, DST policy and jitter applied."},
    )
    last_run_at = fields.DateTime(allow_none=True)
    last_status = fields.String(allow_none=True)
    version = fields.Integer(
        metadata={"description": "The definition's version: bumped on every change to it (see /versions)."}
    )
    schedule_version = fields.Integer(
        metadata={
            "description": "The version at which the schedule last changed; slots planned before it are not run."
        }
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    @ma.post_dump
    def _mask(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("target"):
            data["target"] = mask_target(data["target"])
        if data.get("notify_webhook_url"):
            data["notify_webhook_url"] = mask_url_text(data["notify_webhook_url"])
        return data


class JobRefSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True)


class JobDetailSchema(JobSchema):
    """One job, with the jobs that run after it."""

    triggers = fields.List(
        fields.Nested(JobRefSchema), metadata={"description": "The jobs that run after this one."}
    )


class JobDeleteQuerySchema(Schema):
    force = fields.Boolean(
        load_default=False,
        metadata={"description": "Delete even if other jobs run after it (they drop it from run_after)."},
    )


class RunNowSchema(Schema):
    """`POST /jobs/{id}/execute`: optionally another payload for this run only."""

    payload = fields.Raw(
        allow_none=True,
        validate=_check_payload_size,
        metadata={"description": "Sent instead of the job's payload, for this run only."},
    )


class JobGraphNodeSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True)
    schedule_type = fields.String(required=True)
    last_status = fields.String(allow_none=True, required=True)


class JobGraphEdgeSchema(ma.Schema):
    upstream = fields.Integer(required=True, metadata={"description": "Runs first."})
    downstream = fields.Integer(required=True, metadata={"description": "Runs after `upstream`."})


class JobGraphSchema(ma.Schema):
    nodes = fields.List(fields.Nested(JobGraphNodeSchema), required=True)
    edges = fields.List(fields.Nested(JobGraphEdgeSchema), required=True)


class JobWithSecretSchema(JobDetailSchema):
    signing_secret = fields.String(
        metadata={"description": "HMAC-SHA256 key for X-Chronos-Signature; shown only now."}
    )


MAX_BATCH = 1000


class JobBatchSchema(Schema):
    """Up to MAX_BATCH new jobs, created all together or not at all."""

    class Meta:
        unknown = ma.RAISE

    jobs = fields.List(
        fields.Nested(JobCreateSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH),
        metadata={"description": f"1 to {MAX_BATCH} jobs, each as for POST /jobs."},
    )

    @ma.pre_load
    def _not_too_many(self, data: Any, **_: Any) -> Any:
        # Refuse an oversized list before validating every item in it.
        if isinstance(data, dict) and isinstance(data.get("jobs"), list) and len(data["jobs"]) > MAX_BATCH:
            raise ValidationError(
                f"At most {MAX_BATCH} jobs per request ({len(data['jobs'])} sent).", field_name="jobs"
            )
        return data


class JobBatchResultSchema(ma.Schema):
    items = fields.List(fields.Nested(JobWithSecretSchema))
    count = fields.Integer()


class JobQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(JOB_STATUSES))
    q = fields.String(
        validate=validate.Length(max=200), metadata={"description": "Name contains (any case)."}
    )


JobPageSchema = page_schema(JobSchema, "JobPageSchema")


def job_values(job: Any) -> dict[str, Any]:
    """The user-settable fields of a stored job, as a loaded schema would give them."""
    return {name: getattr(job, name) for name in JobInputSchema().fields}


# --- test runs ---------------------------------------------------------------------------------


class TestRunCreateSchema(Schema):
    """An unsaved job's action to try once: the editor's "Test run"."""

    __test__ = False  # not a pytest test class, whatever its name

    handler = fields.String(
        load_default="log",
        validate=[validate.Length(max=64), _check_handler],
        metadata={"description": "What runs: 'log' (default) or 'http'."},
    )
    target = fields.Nested(
        TargetSchema, allow_none=True, metadata={"description": "The HTTP call, for handler 'http'."}
    )
    payload = fields.Raw(allow_none=True, validate=_check_payload_size)
    timeout_seconds = fields.Integer(strict=True, load_default=30, validate=_check_timeout)
    name = fields.String(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"description": "The job's name, as the handler sees it."},
    )
    job_id = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={
            "description": "The saved job being edited: its stored secret "
            "header values replace '****', its signing secret "
            "signs the call."
        },
    )

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
    result = fields.Raw(
        allow_none=True,
        required=True,
        metadata={
            "description": "What the handler recorded: for 'http' the status, headers and a body excerpt."
        },
    )
    error = fields.String(allow_none=True, required=True)
    logs = fields.List(fields.Nested(TestRunLogSchema), required=True)

    @ma.post_dump
    def _mask(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("target"):
            data["target"] = mask_target(data["target"])
        return data
