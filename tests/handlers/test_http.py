"""The `http` handler end to end against real receivers on loopback (nothing else is ever called)."""
from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC
from typing import Any

import aiohttp
import pytest

from chronos.handlers import Call, Outcome, run_call
from chronos.handlers.addresses import parse_allowlist
from chronos.handlers.batch import run_calls
from chronos.handlers.http import parse_retry_after
from chronos.handlers.session import (
    RESPONSE_EXCERPT_BYTES,
    AddressPolicy,
    AddressRefused,
    HttpSettings,
    SafeResolver,
    client_session,
    find_refusal,
)
from chronos.handlers.signing import verify
from chronos.masking import mask_url
from tests.live import Receiver

from .conftest import SECRET

ALLOW_LOCAL = HttpSettings(allowlist=parse_allowlist(["127.0.0.1"]))
NOTHING_ALLOWED = HttpSettings(allowlist=parse_allowlist([]))


def call_with(settings: HttpSettings, call: Call) -> Outcome:
    """Run one call through `run_call` inside a batch session with `settings`."""

    async def go() -> Outcome:
        async with client_session(settings):
            return await run_call(call)

    return asyncio.run(go())


def test_allowed_receiver_gets_signed_request_with_chronos_headers(receiver: Receiver, make_call) -> None:
    call = make_call(f"{receiver.url}/ok", payload={"hello": "wörld"}, attempt=2)
    outcome = call_with(ALLOW_LOCAL, call)

    assert outcome.ok, outcome.error
    assert outcome.result["http_status"] == 200
    assert outcome.result["body_excerpt"] == "ok"
    assert outcome.result["headers"]["X-Receiver"] == "yes"
    assert outcome.result["method"] == "POST" and outcome.result["url"] == f"{receiver.url}/ok"
    [request] = receiver.requests
    headers = request.headers
    assert request.method == "POST"
    assert json.loads(request.body) == {"hello": "wörld"}
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Chronos-Execution-Id"] == "41"
    assert headers["X-Chronos-Attempt"] == "2"
    assert headers["X-Chronos-Scheduled-For"] == "2026-11-28T10:00:00+00:00"
    assert headers["User-Agent"].startswith("Chronos/")
    assert abs(int(headers["X-Chronos-Timestamp"]) - time.time()) < 5
    assert headers["X-Chronos-Signature"].startswith("sha256=")
    assert verify(SECRET, headers["X-Chronos-Timestamp"], request.body, headers["X-Chronos-Signature"])
    assert not verify("another-secret", headers["X-Chronos-Timestamp"], request.body,
                      headers["X-Chronos-Signature"])
    assert not verify(SECRET, headers["X-Chronos-Timestamp"], request.body + b" ", headers["X-Chronos-Signature"])


def test_scheduled_for_is_the_same_on_every_retry(receiver: Receiver, make_call) -> None:
    for attempt in (1, 2, 3):
        assert call_with(ALLOW_LOCAL, make_call(f"{receiver.url}/ok", attempt=attempt)).ok
    assert {r.headers["X-Chronos-Scheduled-For"] for r in receiver.requests} == {"2026-11-28T10:00:00+00:00"}
    assert [r.headers["X-Chronos-Attempt"] for r in receiver.requests] == ["1", "2", "3"]


def test_method_headers_and_string_body_are_sent(receiver: Receiver, make_call) -> None:
    call = make_call(f"{receiver.url}/ok", method="put", headers={"X-Custom": "1", "Content-Type": "text/csv",
                                                                  "X-Chronos-Attempt": "99"}, body="a,b\n1,2")
    assert call_with(ALLOW_LOCAL, call).ok
    [request] = receiver.requests
    assert request.method == "PUT"
    assert request.body == b"a,b\n1,2"
    assert request.headers["X-Custom"] == "1"
    assert request.headers["Content-Type"] == "text/csv"
    assert request.headers["X-Chronos-Attempt"] == "1"  # the user cannot forge Chronos headers


def test_get_sends_no_body_and_signs_the_empty_body(receiver: Receiver, make_call) -> None:
    assert call_with(ALLOW_LOCAL, make_call(f"{receiver.url}/ok", method="GET", payload={"x": 1})).ok
    [request] = receiver.requests
    assert request.method == "GET" and request.body == b""
    assert verify(SECRET, request.headers["X-Chronos-Timestamp"], b"", request.headers["X-Chronos-Signature"])


def test_unlisted_loopback_address_is_refused_without_a_connection(other_receiver: Receiver, make_call) -> None:
    outcome = call_with(ALLOW_LOCAL, make_call(f"{other_receiver.url}/ok"))

    assert not outcome.ok and not outcome.retryable
    assert outcome.error == "Refused: 127.0.0.2 is a loopback address (not in HTTP_ALLOWLIST)"
    time.sleep(0.1)  # a connection, had one been made, would have been accepted by now
    assert other_receiver.connections == 0 and other_receiver.requests == []


@pytest.mark.parametrize("spelling", ["2130706434", "0177.0.0.2", "0x7f.0.0.2", "0x7f000002", "127.2",
                                      "[::ffff:127.0.0.2]", "[::ffff:7f00:2]", "１２７.０.０.２", "127。0。0。2"])
def test_legacy_ip_spellings_are_judged_as_the_address(other_receiver: Receiver, make_call,
                                                       spelling: str) -> None:
    outcome = call_with(ALLOW_LOCAL, make_call(f"http://{spelling}:{other_receiver.port}/ok"))

    assert not outcome.ok and not outcome.retryable
    assert outcome.error.startswith("Refused: ")
    assert "127.0.0.2" in outcome.error and "loopback" in outcome.error
    assert other_receiver.connections == 0


def test_legacy_spelling_of_an_allowed_address_reaches_it(receiver: Receiver, make_call) -> None:
    outcome = call_with(ALLOW_LOCAL, make_call(f"http://2130706433:{receiver.port}/ok"))
    assert outcome.ok, outcome.error
    assert len(receiver.requests) == 1


def test_hostname_resolving_to_loopback_is_refused(receiver: Receiver, make_call) -> None:
    outcome = call_with(NOTHING_ALLOWED, make_call(f"http://localhost:{receiver.port}/ok"))

    assert not outcome.ok and not outcome.retryable
    assert outcome.error.startswith("Refused: localhost resolves to ")
    assert "a loopback address (not in HTTP_ALLOWLIST)" in outcome.error
    assert receiver.connections == 0


def test_resolver_drops_forbidden_addresses_before_any_connection() -> None:
    """Resolution only: `localhost` resolves to loopback, which an empty allow-list refuses."""
    resolver_error: list[str] = []

    async def go() -> None:
        resolver = SafeResolver(AddressPolicy(parse_allowlist([])))
        try:
            await resolver.resolve("localhost", 80)
        except AddressRefused as exc:
            resolver_error.append(exc.reason)
        allowed = SafeResolver(AddressPolicy(parse_allowlist(["localhost"])))
        assert {r["host"] for r in await allowed.resolve("localhost", 80)} >= {"127.0.0.1"}
        await resolver.close()
        await allowed.close()

    asyncio.run(go())
    assert resolver_error and resolver_error[0].startswith("localhost resolves to 127.0.0.1, a loopback")


def test_allow_listed_hostname_is_reached(receiver: Receiver, make_call) -> None:
    settings = HttpSettings(allowlist=parse_allowlist(["localhost"]))
    outcome = call_with(settings, make_call(f"http://localhost:{receiver.port}/ok"))
    assert outcome.ok, outcome.error


def test_redirect_to_unlisted_address_is_refused(receiver: Receiver, other_receiver: Receiver,
                                                 make_call) -> None:
    to = f"{other_receiver.url}/ok"
    outcome = call_with(ALLOW_LOCAL, make_call(f"{receiver.url}/redirect?to={to}&code=307"))

    assert not outcome.ok and not outcome.retryable
    assert outcome.error == "Refused: 127.0.0.2 is a loopback address (not in HTTP_ALLOWLIST)"
    assert len(receiver.requests) == 1
    assert other_receiver.connections == 0


def test_allow_listed_name_does_not_admit_its_address_by_another_spelling(receiver: Receiver,
                                                                          make_call) -> None:
    # `localhost` is listed by name; a redirect to the literal 127.0.0.1 (same host!) is not.
    settings = HttpSettings(allowlist=parse_allowlist(["localhost"]))
    to = f"http://127.0.0.1:{receiver.port}/ok"
    outcome = call_with(settings, make_call(f"http://localhost:{receiver.port}/redirect?to={to}"))
    assert outcome.error == "Refused: 127.0.0.1 is a loopback address (not in HTTP_ALLOWLIST)"
    assert len(receiver.requests) == 1


def test_allowed_redirect_is_followed_keeping_method_on_307(receiver: Receiver, make_call) -> None:
    outcome = call_with(ALLOW_LOCAL, make_call(f"{receiver.url}/redirect?to=/ok&code=307", payload=[1]))
    assert outcome.ok, outcome.error
    assert [(r.method, r.path, r.body) for r in receiver.requests] == [
        ("POST", "/redirect?to=/ok&code=307", b"[1]"), ("POST", "/ok", b"[1]")]
    assert outcome.result["url"] == f"{receiver.url}/ok"


def test_303_redirect_becomes_get_without_body(receiver: Receiver, make_call) -> None:
    outcome = call_with(ALLOW_LOCAL, make_call(f"{receiver.url}/redirect?to=/ok&code=303"))
    assert outcome.ok
    assert [(r.method, r.body) for r in receiver.requests] == [("POST", b'{"n":1}'), ("GET", b"")]


def test_endless_redirects_fail_after_the_limit(receiver: Receiver, make_call) -> None:
    outcome = call_with(ALLOW_LOCAL, make_call(f"{receiver.url}/loop"))
    assert not outcome.ok and not outcome.retryable
    assert outcome.error == "Too many redirects (more than 5)."
    assert len(receiver.requests) == 6  # the first request and five redirects


def test_slow_receiver_times_out_quickly(receiver: Receiver, make_call) -> None:
    started = time.monotonic()
    outcome = call_with(ALLOW_LOCAL, make_call(f"{receiver.url}/slow?seconds=3", timeout_seconds=0.3))
    assert time.monotonic() - started < 1.5
    assert not outcome.ok and outcome.retryable
    assert "Timed out after 0.3 s" in outcome.error


def test_server_error_is_a_retryable_failure(receiver: Receiver, make_call) -> None:
    outcome = call_with(ALLOW_LOCAL, make_call(f"{receiver.url}/status/500"))
    assert not outcome.ok and outcome.retryable
    assert outcome.error == "HTTP 500 Internal Server Error"
    assert outcome.result["http_status"] == 500 and outcome.result["body_excerpt"] == "status 500"


def test_not_found_is_final(receiver: Receiver, make_call) -> None:
    outcome = call_with(ALLOW_LOCAL, make_call(f"{receiver.url}/status/404"))
    assert not outcome.ok and not outcome.retryable
    assert outcome.error == "HTTP 404 Not Found"


@pytest.mark.parametrize("said_by", ["target", "job"])
def test_client_error_is_retried_when_the_job_says_so(receiver: Receiver, make_call, said_by: str) -> None:
    if said_by == "target":
        call = make_call(f"{receiver.url}/status/404", retry_on_client_error=True)
    else:  # the job's retry_on_client_error column, carried by the call
        call = make_call(f"{receiver.url}/status/404")
        call.retry_on_client_error = True
    outcome = call_with(ALLOW_LOCAL, call)
    assert not outcome.ok and outcome.retryable


@pytest.mark.parametrize("status", [408, 429])
def test_timeout_and_too_many_requests_are_retried(receiver: Receiver, make_call, status: int) -> None:
    outcome = call_with(ALLOW_LOCAL, make_call(f"{receiver.url}/status/{status}"))
    assert not outcome.ok and outcome.retryable


def test_retry_after_seconds_is_returned(receiver: Receiver, make_call) -> None:
    outcome = call_with(ALLOW_LOCAL, make_call(f"{receiver.url}/status/429?retry_after=7"))
    assert outcome.error == "HTTP 429 Too Many Requests"
    assert outcome.retry_after == 7


def test_retry_after_http_date_is_parsed() -> None:
    from datetime import datetime

    now = datetime(2026, 11, 28, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Sat, 28 Nov 2026 10:01:30 GMT", now) == 90
    assert parse_retry_after("Sat, 28 Nov 2026 09:00:00 GMT", now) == 0
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_response_excerpt_is_capped(receiver: Receiver, make_call) -> None:
    outcome = call_with(ALLOW_LOCAL, make_call(f"{receiver.url}/big"))
    assert outcome.ok
    assert len(outcome.result["body_excerpt"]) == RESPONSE_EXCERPT_BYTES == 4096


def test_secret_header_values_never_reach_the_log(receiver: Receiver, make_call) -> None:
    secrets = {"Authorization": "Bearer s3cr3t-bearer", "X-Api-Key": "s3cr3t-key", "Cookie": "sid=s3cr3t-cookie",
               "X-Webhook-Token": "s3cr3t-token", "Proxy-Authorization": "Basic s3cr3t-proxy"}
    call = make_call(f"{receiver.url}/ok?access_token=s3cr3t-query",
                     headers={**secrets, "X-Plain": "visible"})
    outcome = call_with(ALLOW_LOCAL, call)
    assert outcome.ok
    [request] = receiver.requests
    assert request.headers["Authorization"] == "Bearer s3cr3t-bearer"  # sent, just never logged
    logged = json.dumps(call.lines) + json.dumps(outcome.result)
    assert "s3cr3t" not in logged
    assert "visible" in logged
    assert call.lines[0][1].startswith("POST http://127.0.0.1:")
    assert any("HTTP 200 OK in" in message for _, message, _ in call.lines)


def test_mask_url_masks_password_and_token_query() -> None:
    assert mask_url("https://user:pw@example.test/x?token=abc&page=2") == \
        "https://user:****@example.test/x?token=****&page=2"


@pytest.mark.parametrize("target, message", [
    ({"url": "ftp://127.0.0.1/"}, "target.url must be http or https"),
    ({"url": "file:///etc/passwd"}, "target.url must be http or https"),
    ({"url": ""}, "target.url is required"),
    ({"url": "http://127.0.0.1/", "method": "BREW"}, "target.method"),
    ({"url": "http://127.0.0.1/", "headers": {"X-A": "a\r\nX-Injected: 1"}}, "line breaks"),
    ({"url": "http://127.0.0.1/", "headers": {"Bad Name": "x"}}, "not a valid header name"),
    ({"url": "http://127.0.0.1/", "headers": ["x"]}, "target.headers must be an object"),
])
def test_bad_target_is_a_final_failure_naming_the_field(make_call, target: dict[str, Any], message: str) -> None:
    url = target.pop("url")
    outcome = call_with(ALLOW_LOCAL, make_call(url, **target))
    assert not outcome.ok and not outcome.retryable
    assert message in outcome.error


def test_connection_refused_is_retryable(make_call) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    outcome = call_with(ALLOW_LOCAL, make_call(f"http://127.0.0.1:{port}/"))
    assert not outcome.ok and outcome.retryable
    assert outcome.error.startswith("Request failed: ")


def test_run_calls_sends_200_calls_concurrently(receiver: Receiver, make_call, monkeypatch) -> None:
    monkeypatch.setenv("HTTP_ALLOWLIST", "127.0.0.1")
    calls = [make_call(f"{receiver.url}/ok?i={i}") for i in range(200)]
    started = time.monotonic()
    outcomes = asyncio.run(run_calls(calls))
    elapsed = time.monotonic() - started
    assert all(o.ok for o in outcomes), {o.error for o in outcomes if not o.ok}
    assert sorted(r.path for r in receiver.requests) == sorted(f"/ok?i={i}" for i in range(200))
    assert elapsed < 5, elapsed


def test_allowlist_comes_from_the_app_config(app, receiver: Receiver, make_call, monkeypatch) -> None:
    # setitem: the app is shared by the whole run; the change must not outlive this test.
    monkeypatch.setitem(app.config, "HTTP_ALLOWLIST", ["127.0.0.1"])
    assert asyncio.run(run_call(make_call(f"{receiver.url}/ok"))).ok  # private session, app settings
    monkeypatch.setitem(app.config, "HTTP_ALLOWLIST", [])
    outcome = asyncio.run(run_call(make_call(f"{receiver.url}/ok")))
    assert outcome.error == "Refused: 127.0.0.1 is a loopback address (not in HTTP_ALLOWLIST)"
    assert len(receiver.requests) == 1


def test_allowlist_comes_from_the_environment_without_an_app(receiver: Receiver, make_call,
                                                             monkeypatch) -> None:
    monkeypatch.setenv("HTTP_ALLOWLIST", "127.0.0.0/30")
    assert asyncio.run(run_calls([make_call(f"{receiver.url}/ok")]))[0].ok
    monkeypatch.delenv("HTTP_ALLOWLIST")
    [outcome] = asyncio.run(run_calls([make_call(f"{receiver.url}/ok")]))
    assert outcome.error.startswith("Refused: 127.0.0.1 is a loopback address")
    assert len(receiver.requests) == 1


def test_cross_origin_redirect_drops_credentials(receiver: Receiver, second_receiver: Receiver,
                                                 make_call) -> None:
    to = f"{second_receiver.url}/ok"
    call = make_call(f"{receiver.url}/redirect?to={to}&code=307",
                     headers={"Authorization": "Bearer abc", "X-Api-Key": "k", "X-Plain": "p"})
    assert call_with(ALLOW_LOCAL, call).ok
    [first], [second] = receiver.requests, second_receiver.requests
    assert first.headers["Authorization"] == "Bearer abc"
    assert "Authorization" not in second.headers and "X-Api-Key" not in second.headers
    assert second.headers["X-Plain"] == "p"
    assert verify(SECRET, second.headers["X-Chronos-Timestamp"], second.body, second.headers["X-Chronos-Signature"])


def test_same_origin_redirect_keeps_credentials(receiver: Receiver, make_call) -> None:
    call = make_call(f"{receiver.url}/redirect?to=/ok&code=308", headers={"Authorization": "Bearer abc"})
    assert call_with(ALLOW_LOCAL, call).ok
    assert [r.headers.get("Authorization") for r in receiver.requests] == ["Bearer abc", "Bearer abc"]


def test_socket_guard_refuses_a_connection_that_skipped_the_other_checks(other_receiver: Receiver) -> None:
    """Even a request made straight on the session (no literal pre-check) cannot reach 127.0.0.2."""

    async def go() -> BaseException | None:
        async with client_session(ALLOW_LOCAL) as session:
            try:
                async with session.get(f"{other_receiver.url}/ok"):
                    return None
            except aiohttp.ClientError as exc:
                return exc

    error = asyncio.run(go())
    assert isinstance(error, aiohttp.ClientConnectorError)
    refusal = find_refusal(error)
    assert refusal is not None and refusal.reason.startswith("127.0.0.2 is a loopback address")
    time.sleep(0.1)
    assert other_receiver.connections == 0


def test_head_reads_no_body(receiver: Receiver, make_call) -> None:
    outcome = call_with(ALLOW_LOCAL, make_call(f"{receiver.url}/big", method="HEAD"))
    assert outcome.ok and outcome.result["body_excerpt"] == ""
    assert receiver.requests[0].method == "HEAD" and receiver.requests[0].body == b""


def test_malformed_numeric_host_is_a_final_failure(make_call) -> None:
    outcome = call_with(ALLOW_LOCAL, make_call("http://1.2.3.4.5/"))
    assert not outcome.ok and not outcome.retryable
    assert outcome.error.startswith("target.url is not a valid URL")


def test_cookies_from_one_job_never_reach_another(receiver: Receiver, make_call) -> None:
    """The batch shares a session; a Set-Cookie answered to one call must not travel with the next."""

    async def go() -> None:
        async with client_session(ALLOW_LOCAL) as session:
            async with session.get(f"{receiver.url}/status/200"):
                pass
            session.cookie_jar.update_cookies({"sid": "leak"})
            await run_call(make_call(f"{receiver.url}/ok"))

    asyncio.run(go())
    assert "Cookie" not in receiver.requests[-1].headers
