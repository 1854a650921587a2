"""The `http` handler: one HTTP request per attempt, signed, to an address the operator allows.

Target (the job's `target`)::

    {"url": "https://example.com/hook",   # http or https only
     "method": "POST",                     # default POST
     "headers": {"Authorization": "…"},    # optional, str → str
     "body": "…" or {...},                 # optional: a str is sent as is, anything else as JSON;
                                           # absent → the job's payload as JSON (no payload, no
                                           # body); GET/HEAD send none
     "retry_on_client_error": false}       # optional: retry 4xx too (see below)

The executor may also set ``target["_retry_on_client_error"]`` from the job's
``retry_on_client_error`` column; either key makes a 4xx (other than 408/429, which are always
retried) a retryable failure instead of a final one.

Every request carries:

* ``X-Chronos-Execution-Id``, ``X-Chronos-Job-Id``, ``X-Chronos-Attempt``;
* ``X-Chronos-Scheduled-For``: the slot, ISO 8601 in UTC, identical on every retry of one slot, so
  a receiver can drop a duplicate delivery by (execution id) or (job id, scheduled for);
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

Outgoing-call safety (SSRF): every connection goes to an address checked by
`chronos.handlers.addresses.check_address` against `HTTP_ALLOWLIST`. Host names are checked inside
the session's resolver, on the very addresses the connection will use (no check-then-resolve-again
gap); IP literals, including legacy spellings such as ``http://2130706433/``, are checked before the
request; a socket factory re-checks each address just before `connect()` as a last line. Redirects
are followed by hand (at most `MAX_REDIRECTS`), each hop through the same checks.
"""
from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from multidict import CIMultiDict
from yarl import URL

from ..masking import MASK, is_credential, mask_headers, mask_url
from . import Call, Outcome, register
from .addresses import (
    Allowlist,
    IPAddress,
    check_address,
    forbidden_reason,
    parse_allowlist,
    parse_ip_literal,
)
from .signing import sign

RESPONSE_EXCERPT_BYTES = 4096
MAX_REDIRECTS = 5
# One pool for a whole batch: a thousand jobs due at 0 * * * * are sent concurrently.
POOL_LIMIT = 1000
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Framing and routing headers are ours to set: a user value could desynchronise the request.
RESERVED_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "host", "upgrade",
                              "te", "trailer", "keep-alive", "proxy-connection"})
MAX_STORED_HEADERS = 64
USERINFO_WITH_AUTHORIZATION = ("target.url carries a user name and password and target.headers an "
                               "Authorization header: keep one of the two.")
MAX_STORED_HEADER_CHARS = 2048

_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")

try:
    USER_AGENT = f"Chronos/{version('chronos')}"
except PackageNotFoundError:  # running from a source tree that was never installed
    USER_AGENT = "Chronos"


# ---------------------------------------------------------------------------------------------
# Settings and the address policy


@dataclass(frozen=True)
class HttpSettings:
    """What the handler reads from the configuration, once per batch."""

    allowlist: Allowlist = field(default_factory=Allowlist)
    excerpt_bytes: int = RESPONSE_EXCERPT_BYTES


def current_settings() -> HttpSettings:
    """Settings from the Flask app in context, else from the environment."""
    from flask import current_app, has_app_context

    if has_app_context():
        config: Any = current_app.config
    else:
        from ..config import load_config

        config = load_config()
    return HttpSettings(
        allowlist=parse_allowlist(config.get("HTTP_ALLOWLIST")),
        excerpt_bytes=int(config.get("RESPONSE_EXCERPT_BYTES") or RESPONSE_EXCERPT_BYTES),
    )


class AddressRefused(OSError):
    """A connection was not made because the address rule forbids it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AddressPolicy:
    """The allow-list of one session, plus the addresses its resolver admitted by host name."""

    def __init__(self, allowlist: Allowlist) -> None:
        self.allowlist = allowlist
        # Addresses of allow-listed host names (an internal service on 10.x): the socket guard,
        # which sees only addresses, must let exactly these through.
        self._admitted_by_name: set[IPAddress] = set()

    def check(self, ip: IPAddress, host: str | None = None) -> str | None:
        """None when `ip` may be connected to, else the refusal reason."""
        reason = check_address(ip, self.allowlist, host)
        if reason is None and host is not None and forbidden_reason(ip) is not None:
            self._admitted_by_name.add(ip)
        return reason

    def check_socket_address(self, ip: IPAddress) -> str | None:
        """The last-line check on an address about to be connected to."""
        if ip in self._admitted_by_name:
            return None
        return check_address(ip, self.allowlist)


def _ip(text: str) -> IPAddress:
    return ipaddress.ip_address(text.split("%", 1)[0])


class SafeResolver(AbstractResolver):
    """Resolves with the system resolver, then keeps only addresses the policy allows.

    aiohttp connects to what the resolver returns, so filtering here means the checked address is
    the connected address: a DNS answer cannot change between the check and the connection.
    """

    def __init__(self, policy: AddressPolicy, resolver: AbstractResolver | None = None) -> None:
        self.policy = policy
        self._resolver = resolver or aiohttp.ThreadedResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        """Resolve `host` and drop forbidden addresses; raise AddressRefused if none remain."""
        results = await self._resolver.resolve(host, port, family)
        allowed: list[ResolveResult] = []
        refused: list[str] = []
        for result in results:
            ip = _ip(result["host"])
            if self.policy.check(ip, host) is None:
                allowed.append(result)
            else:
                refused.append(f"{ip}, {forbidden_reason(ip)}")
        if not allowed:
            raise AddressRefused(f"{host} resolves to {refused[0] if refused else 'nothing'}"
                                 " (not in HTTP_ALLOWLIST)")
        return allowed

    async def close(self) -> None:
        """Release the wrapped resolver."""
        await self._resolver.close()


def _socket_factory(policy: AddressPolicy) -> Any:
    """A socket factory that refuses, before `connect()`, any address the policy forbids."""

    def factory(addr_info: Any) -> socket.socket:
        family, type_, proto, _, sockaddr = addr_info
        reason = policy.check_socket_address(_ip(sockaddr[0]))
        if reason is not None:
            raise AddressRefused(reason)
        return socket.socket(family=family, type=type_, proto=proto)

    return factory


@dataclass
class SafeSession:
    """A client session whose every connection obeys the address rule of its settings."""

    session: aiohttp.ClientSession
    settings: HttpSettings
    policy: AddressPolicy


def new_session(settings: HttpSettings) -> SafeSession:
    """Open a pooled client session bound to the address rule of `settings`."""
    policy = AddressPolicy(settings.allowlist)
    connector = aiohttp.TCPConnector(
        limit=POOL_LIMIT,
        limit_per_host=0,
        resolver=SafeResolver(policy),
        socket_factory=_socket_factory(policy),
        ttl_dns_cache=10,
    )
    session = aiohttp.ClientSession(
        connector=connector,
        # Jobs of different users share the session: no cookie may travel from one to another.
        cookie_jar=aiohttp.DummyCookieJar(),
        # Environment proxies would connect to an address we never checked.
        trust_env=False,
        timeout=aiohttp.ClientTimeout(total=None),
    )
    return SafeSession(session, settings, policy)


_current_batch: ContextVar[SafeSession | None] = ContextVar("chronos_http_batch", default=None)


@asynccontextmanager
async def client_session(settings: HttpSettings | None = None) -> AsyncIterator[aiohttp.ClientSession]:
    """One pooled session (and one read of the settings) for every `http` call of a batch."""
    batch = new_session(settings or current_settings())
    token = _current_batch.set(batch)
    try:
        yield batch.session
    finally:
        _current_batch.reset(token)
        await batch.session.close()


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
    return {
        "User-Agent": USER_AGENT,
        "X-Chronos-Execution-Id": str(call.execution_id),
        "X-Chronos-Job-Id": str(call.job_id),
        "X-Chronos-Attempt": str(call.attempt),
        "X-Chronos-Scheduled-For": scheduled_for_header(call.scheduled_for),
        "X-Chronos-Timestamp": str(timestamp),
        "X-Chronos-Signature": sign(call.signing_secret, timestamp, body),
    }


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


def find_refusal(exc: BaseException) -> AddressRefused | None:
    """The AddressRefused behind an aiohttp connection error, if that is what it was."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, AddressRefused):
            return current
        stack.extend([current.__cause__, current.__context__, getattr(current, "os_error", None)])
    return None


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


def _retry_on_client_error(target: dict[str, Any] | None) -> bool:
    target = target or {}
    return bool(target.get("retry_on_client_error") or target.get("_retry_on_client_error"))


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
        call.log("info", f"{request.method} {summary['url']}",
                 {"attempt": call.attempt, "redirect": hop, "headers": mask_headers(headers)})
        started = time.perf_counter()
        try:
            async with session.request(
                request.method, request.url, data=request.body or None, headers=headers,
                allow_redirects=False, timeout=aiohttp.ClientTimeout(total=max(0.001, deadline - loop.time())),
            ) as response:
                excerpt = b"" if request.method == "HEAD" else await _read_excerpt(response, settings.excerpt_bytes)
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
        call.log("info" if 200 <= status < 400 else "warning", f"HTTP {status} {reason} in {elapsed_ms} ms",
                 {"http_status": status, "elapsed_ms": elapsed_ms})

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

        result = {"http_status": status, "headers": response_headers,
                  "body_excerpt": excerpt.decode("utf-8", errors="replace"), **summary}
        if 200 <= status < 300:
            return Outcome(ok=True, result=result)
        error = f"HTTP {status} {reason}".strip()
        final = 400 <= status < 500 and status not in (408, 429) and not _retry_on_client_error(call.target)
        return Outcome(ok=False, error=error, result=result, retryable=not final,
                       retry_after=parse_retry_after(retry_after_header))
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
    batch = _current_batch.get()
    if batch is not None:
        return await send(call, batch)
    private = new_session(current_settings())
    try:
        return await send(call, private)
    finally:
        await private.session.close()
