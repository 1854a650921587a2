"""The guarded HTTP client session: every connection it makes obeys the address rule.

Outgoing-call safety (SSRF): every connection goes to an address checked by
`chronos.handlers.addresses.check_address` against `HTTP_ALLOWLIST`. Host names are checked inside
the session's resolver, on the very addresses the connection will use (no check-then-resolve-again
gap); a socket factory re-checks each address just before `connect()` as a last line. (IP literals
in a URL are checked by the `http` handler before the request, see `http.py`.)

One session serves every `http` call of a batch (its pool keeps connections alive across calls);
`client_session` opens it and makes it the current one for the calls run inside it.
"""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from flask import current_app, has_app_context

from ..config import load_config
from .addresses import Allowlist, IPAddress, check_address, forbidden_reason, parse_allowlist

RESPONSE_EXCERPT_BYTES = 4096
# One pool for a whole batch: a thousand jobs due at 0 * * * * are sent concurrently.
POOL_LIMIT = 1000


@dataclass(frozen=True)
class HttpSettings:
    """What the handler reads from the configuration, once per batch."""

    allowlist: Allowlist = field(default_factory=Allowlist)
    excerpt_bytes: int = RESPONSE_EXCERPT_BYTES


def current_settings() -> HttpSettings:
    """Settings from the Flask app in context, else from the environment."""
    config: Any = current_app.config if has_app_context() else load_config()
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


def current_session() -> SafeSession | None:
    """The session of the batch this call runs in, if any."""
    return _current_batch.get()


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
