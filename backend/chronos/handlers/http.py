"""The `http` handler: one HTTP request per attempt, signed, to an address the operator allows.

Target (the job's `target`)::

    {"url": "https://example.com/hook",   # http or https only
     "method": "POST",                     # default POST
     "headers": {"Authorization": "…"},    # optional, str → str
     "body": "…" or {...},                 # optional: a str is sent as is, anything else as JSON;
                                           # absent → the job's payload as JSON (no payload, no
                                           # body); GET/HEAD send none
     "retry_on_client_error": false}       # optional: retry 4xx too (see below)

A 4xx answer (other than 408/429, which are always retried) is a final failure, unless the job's
`retry_on_client_error` (`Call.retry_on_client_error`) or the target's own key says to retry it.

Every request carries:

* ``X-Chronos-Execution-Id``, ``X-Chronos-Job-Id``, ``X-Chronos-Attempt``;
* ``X-Chronos-Scheduled-For``: the slot, ISO 8601 in UTC, identical on every retry of one slot, so
  a receiver can drop a duplicate delivery by (execution id) or (job id, scheduled for);
* ``X-Chronos-Upstream-Execution-Id``: on a run caused by other jobs (`schedule_type` "after"), the
  upstream execution ids, comma-separated (several for a fan-in);
* ``X-Chronos-Timestamp``: unix seconds when this request was signed;
* ``X-Chronos-Signature``: ``sha256=`` + hex HMAC-SHA256, keyed with the job's signing secret, over
  ``f"{timestamp}.".encode() + body`` (the exact body bytes sent; empty for GET/HEAD). A receiver
  recomputes it and compares with `hmac.compare_digest`, and refuses timestamps more than a few
  minutes old (replays). `chronos.handlers.signing.verify` does both; `docs/webhooks.md` shows it.
* ``User-Agent: Chronos/<version>``.

Success is a 2xx within the job's timeout. The attempt's result records the status, the response
headers, the first `RESPONSE_EXCERPT_BYTES` of the body, the URL and the method; credential header
values, the URL's password and credential query values are masked by `chronos.masking`, in the
result and the log lines alike.

Outgoing-call safety (SSRF): connections are made through the guarded session of `session.py`,
whose resolver and socket factory enforce the address rule on host names; IP literals, including
legacy spellings such as ``http://2130706433/``, are checked here before the request. Redirects
are followed by hand (at most `MAX_REDIRECTS`), each hop through the same checks.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from ..masking import MASK, is_credential, mask_headers, mask_url
from . import BatchResource, Call, Outcome, register, register_batch_resource
from .addresses import parse_ip_literal
from .session import (
    AddressPolicy,
    AddressRefused,
    SafeSession,
    client_session,
    current_session,
    current_settings,
    find_refusal,
    new_session,
)
from .signing import sign

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Framing and routing headers are ours to set: a user value could desynchronise the request.
RESERVED_HEADERS = frozenset(
    {
        "content-length",
        "transfer-encoding",
        "connection",
        "host",
        "upgrade",
        "te",
        "trailer",
        "keep-alive",
        "proxy-connection",
    }
)
MAX_STORED_HEADERS = 64
USERINFO_WITH_AUTHORIZATION = (
    "target.url carries a user name and password and target.headers an "
    "Authorization header: keep one of the two."
)
MAX_STORED_HEADER_CHARS = 2048

_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")

try:
    USER_AGENT = f"Chronos/{version('chronos')}"
except PackageNotFoundError:  # running from a source tree that was never installed
    USER_AGENT = "Chronos"


# ---------------------------------------------------------------------------------------------
# The request


class InvalidTarget(ValueError):
    """The job's target cannot be turned into a request; retrying would not help."""


@dataclass
class Request:
    """A request as the handler will send it (before the per-hop Chronos headers)."""

    method: str
    url: URL
    headers: CIMultiDict[str]
    body: bytes


def build_request(call: Call) -> Request:
    """Turn a call's target and payload into a Request, or raise InvalidTarget naming the field."""
    target = call.target or {}
    if not isinstance(target, dict):
        raise InvalidTarget("target must be an object with a url.")
    raw_url = target.get("url")
    if not isinstance(raw_url, str) or not raw_url.strip():
        raise InvalidTarget("target.url is required.")
    try:
        url = URL(raw_url.strip())
    except (ValueError, TypeError) as exc:
        raise InvalidTarget(f"target.url is not a valid URL: {exc}") from None
    _check_url(url)
    method = str(target.get("method") or "POST").upper()
    if method not in METHODS:
        raise InvalidTarget(f"target.method {method!r} is not one of {', '.join(sorted(METHODS))}.")

    headers: CIMultiDict[str] = CIMultiDict()
    raw_headers = target.get("headers") or {}
    if not isinstance(raw_headers, dict):
        raise InvalidTarget("target.headers must be an object of header names to values.")
    if url.user is not None and any(str(name).lower() == "authorization" for name in raw_headers):
        raise InvalidTarget(USERINFO_WITH_AUTHORIZATION)
    for name, value in raw_headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise InvalidTarget(f"target.headers: {name!r} is not a valid header name.")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InvalidTarget(f"target.headers.{name} must be a string.")
        text = str(value)
        if any(ch in text for ch in "\r\n\0"):
            raise InvalidTarget(f"target.headers.{name} may not contain line breaks.")
        if name.lower() in RESERVED_HEADERS or name.lower().startswith("x-chronos-"):
            continue  # ours to set; see RESERVED_HEADERS
        headers[name] = text

    body = b""
    if method not in ("GET", "HEAD"):
        content = target["body"] if target.get("body") is not None else call.payload
        content_type = None
        if isinstance(content, str | bytes) and target.get("body") is not None:
            body = content.encode() if isinstance(content, str) else content
            content_type = "text/plain; charset=utf-8"
        elif content is not None:
            try:
                body = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
            except (TypeError, ValueError) as exc:
                raise InvalidTarget(f"target.body cannot be sent as JSON: {exc}") from None
            content_type = "application/json"
        if content_type and "content-type" not in headers:
            headers["Content-Type"] = content_type
    return Request(method=method, url=url, headers=headers, body=body)


def _check_url(url: URL) -> None:
    if url.scheme not in ("http", "https"):
        raise InvalidTarget(f"target.url must be http or https, not {url.scheme or 'relative'!r}.")
    if not url.host:
        raise InvalidTarget("target.url has no host.")


def chronos_headers(call: Call, body: bytes, now: float | None = None) -> dict[str, str]:
    """The X-Chronos-* headers and User-Agent for one request carrying `body`."""
    timestamp = int(time.time() if now is None else now)
    headers = {
        "User-Agent": USER_AGENT,
        "X-Chronos-Execution-Id": str(call.execution_id),
        "X-Chronos-Job-Id": str(call.job_id),
        "X-Chronos-Attempt": str(call.attempt),
        "X-Chronos-Scheduled-For": scheduled_for_header(call.scheduled_for),
        "X-Chronos-Timestamp": str(timestamp),
        "X-Chronos-Signature": sign(call.signing_secret, timestamp, body),
    }
    if call.upstream_execution_ids:
        headers["X-Chronos-Upstream-Execution-Id"] = ",".join(map(str, call.upstream_execution_ids))
    return headers


def scheduled_for_header(scheduled_for: datetime) -> str:
    """The slot in ISO 8601 UTC; a naive datetime is taken as UTC (how the database stores it)."""
    if scheduled_for.tzinfo is None:
        scheduled_for = scheduled_for.replace(tzinfo=UTC)
    return scheduled_for.astimezone(UTC).isoformat()


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def _literal_refusal(url: URL, policy: AddressPolicy) -> tuple[URL, str | None]:
    """Check an IP-literal host before any connection; normalise legacy spellings to canonical.

    aiohttp never hands IP literals to the resolver, so they are judged here (and again by the
    socket guard). `http://0177.0.0.1/` is rewritten to `http://127.0.0.1/` once judged, because
    that is the address the system would have connected to.
    """
    host = url.raw_host or ""
    ip = parse_ip_literal(host)
    if ip is None:
        return url, None
    reason = policy.check(ip)
    if reason is not None:
        return url, reason
    if str(ip) != host:
        url = url.with_host(str(ip))
    return url, None


async def _read_excerpt(response: aiohttp.ClientResponse, limit: int) -> bytes:
    # Read at most `limit` bytes: a huge (or endless) body must not fill the worker's memory.
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = await response.content.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _stored_headers(headers: Any) -> dict[str, str]:
    stored: dict[str, str] = {}
    for name, value in headers.items():
        if name in stored:
            stored[name] = f"{stored[name]}, {value}"[:MAX_STORED_HEADER_CHARS]
        elif len(stored) < MAX_STORED_HEADERS:
            stored[name] = MASK if is_credential(name) else value[:MAX_STORED_HEADER_CHARS]
    return stored


def _redirect(request: Request, status: int, location: str) -> Request:
    """The next hop's request, as browsers and curl do it (303, and 301/302 after POST, → GET)."""
    url = request.url.join(URL(location))
    _check_url(url)
    method, body, headers = request.method, request.body, CIMultiDict(request.headers)
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method, body = "GET", b""
        headers.popall("Content-Type", None)
    if url.origin() != request.url.origin():
        # Credentials were meant for the first host, not wherever it points us.
        for name in list(headers):
            if is_credential(name):
                headers.popall(name, None)
    return Request(method=method, url=url, headers=headers, body=body)


def _retry_on_client_error(call: Call) -> bool:
    return call.retry_on_client_error or bool((call.target or {}).get("retry_on_client_error"))


async def send(call: Call, safe: SafeSession) -> Outcome:
    """Make the call's request on `session` (following redirects by hand) and judge the response."""
    try:
        request = build_request(call)
    except InvalidTarget as exc:
        call.log("error", str(exc), None)
        return Outcome(ok=False, error=str(exc), retryable=False)

    session, settings, policy = safe.session, safe.settings, safe.policy
    loop = asyncio.get_running_loop()
    deadline = loop.time() + call.timeout_seconds
    for hop in range(MAX_REDIRECTS + 1):
        summary = {"url": mask_url(request.url), "method": request.method}
        request.url, refusal = _literal_refusal(request.url, policy)
        if refusal is not None:
            return _refused(call, refusal, summary)
        headers = CIMultiDict(request.headers)
        headers.update(chronos_headers(call, request.body))
        call.log(
            "info",
            f"{request.method} {summary['url']}",
            {"attempt": call.attempt, "redirect": hop, "headers": mask_headers(headers)},
        )
        started = time.perf_counter()
        try:
            async with session.request(
                request.method,
                request.url,
                data=request.body or None,
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=max(0.001, deadline - loop.time())),
            ) as response:
                excerpt = (
                    b"" if request.method == "HEAD" else await _read_excerpt(response, settings.excerpt_bytes)
                )
                status, reason = response.status, response.reason
                response_headers = _stored_headers(response.headers)
                location = response.headers.get("Location")
                retry_after_header = response.headers.get("Retry-After")
        except TimeoutError:
            error = f"Timed out after {call.timeout_seconds:g} s."
            call.log("error", error, {"url": summary["url"]})
            return Outcome(ok=False, error=error, result=summary)
        except aiohttp.InvalidURL as exc:
            # e.g. `http://1.2.3.4.5/`: aiohttp refuses numeric hosts that are not canonical IPs.
            error = f"target.url is not a valid URL: {exc}"
            call.log("error", error, {"url": summary["url"]})
            return Outcome(ok=False, error=error, result=summary, retryable=False)
        except aiohttp.ClientError as exc:
            refused = find_refusal(exc)
            if refused is not None:
                return _refused(call, refused.reason, summary)
            error = f"Request failed: {type(exc).__name__}: {exc}"
            call.log("error", error, {"url": summary["url"]})
            return Outcome(ok=False, error=error, result=summary)
        except AddressRefused as exc:
            return _refused(call, exc.reason, summary)

        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        reason = reason or _phrase(status)
        call.log(
            "info" if 200 <= status < 400 else "warning",
            f"HTTP {status} {reason} in {elapsed_ms} ms",
            {"http_status": status, "elapsed_ms": elapsed_ms},
        )

        if status in REDIRECT_STATUSES and location:
            if hop == MAX_REDIRECTS:
                error = f"Too many redirects (more than {MAX_REDIRECTS})."
                call.log("error", error, None)
                return Outcome(ok=False, error=error, result=summary, retryable=False)
            try:
                request = _redirect(request, status, location)
            except (InvalidTarget, ValueError) as exc:
                error = f"Bad redirect from {summary['url']}: {exc}"
                call.log("error", error, None)
                return Outcome(ok=False, error=error, result=summary, retryable=False)
            continue

        result = {
            "http_status": status,
            "headers": response_headers,
            "body_excerpt": excerpt.decode("utf-8", errors="replace"),
            **summary,
        }
        if 200 <= status < 300:
            return Outcome(ok=True, result=result)
        error = f"HTTP {status} {reason}".strip()
        final = 400 <= status < 500 and status not in (408, 429) and not _retry_on_client_error(call)
        return Outcome(
            ok=False,
            error=error,
            result=result,
            retryable=not final,
            retry_after=parse_retry_after(retry_after_header),
        )
    raise AssertionError("unreachable: the loop returns on its last hop")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _refused(call: Call, reason: str, summary: dict[str, Any]) -> Outcome:
    error = f"Refused: {reason}"
    call.log("error", error, {"url": summary["url"]})
    return Outcome(ok=False, error=error, result=summary, retryable=False)


@register("http")
async def call_http(call: Call) -> Outcome:
    """Call the job's URL; on the batch's shared session when there is one, else on a private one."""
    batch = current_session()
    if batch is not None:
        return await send(call, batch)
    private = new_session(current_settings())
    try:
        return await send(call, private)
    finally:
        await private.session.close()


# Every batch of calls opens one guarded, pooled session, shared by its `http` calls.
register_batch_resource(BatchResource("http", current_settings, client_session))
