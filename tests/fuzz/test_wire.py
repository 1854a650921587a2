"""Requests no HTTP client library would send, written byte by byte to the live server: always a 4xx.

Content-Length lies, conflicting framing, raw NUL bytes in a header or the path, oversized headers:
some are refused by gunicorn itself (an HTML page), the rest by the app (the one error shape).
"""
from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

from .conftest import LiveServer

JOB = json.dumps({"name": "wire", "schedule_type": "interval", "interval_seconds": 60}).encode()


def exchange(server: LiveServer, raw: bytes, *, close_write: bool = False) -> tuple[int, bytes]:
    """Send raw bytes on a fresh connection; the status code and body of the first answer."""
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=40) as sock:
        sock.sendall(raw)
        if close_write:
            sock.shutdown(socket.SHUT_WR)
        data = b""
        while b"\r\n\r\n" not in data or len(data) < _expected_length(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def _expected_length(data: bytes) -> int:
    head, _, _ = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(head) + 4 + int(value.strip())
    return len(data) + 1  # no length: read until the server closes


def request(method: str, path: str, headers: dict[str, bytes], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: 127.0.0.1"]
    lines += [name.encode() + b": " + value for name, value in headers.items()]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


@pytest.fixture(scope="module")
def token(live_server: LiveServer) -> bytes:
    import httpx

    with httpx.Client(base_url=live_server.url + "/api/v1") as http:
        http.post("/auth/register", json={"email": "wire@example.org", "password": "correct horse battery"})
        answer = http.post("/auth/login", json={"email": "wire@example.org", "password": "correct horse battery"})
        return f"Bearer {answer.json()['access_token']}".encode()


def wire_jobs(server: LiveServer) -> int:
    with psycopg.connect(server.database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute("SELECT count(*) FROM jobs WHERE name = 'wire'").fetchone()
    return row[0] if row else 0


# name: (request given a bearer token, close the sending side after it, expected status)
CASES: dict[str, tuple[Any, bool, int]] = {
    # Content-Length says more than is sent, and the client stops sending: a 400, not a hang or a 500.
    "length longer than the body": (
        lambda t: request("POST", "/api/v1/jobs", {"Authorization": t, "Content-Type": b"application/json",
                                                    "Content-Length": str(len(JOB) + 50).encode(),
                                                    "Connection": b"close"}, JOB), True, 400),
    # Content-Length says less: the app reads a truncated document (invalid JSON).
    "length shorter than the body": (
        lambda t: request("POST", "/api/v1/jobs", {"Authorization": t, "Content-Type": b"application/json",
                                                    "Content-Length": str(len(JOB) - 5).encode(),
                                                    "Connection": b"close"}, JOB), False, 400),
    "length not a number": (
        lambda t: request("POST", "/api/v1/jobs", {"Authorization": t, "Content-Type": b"application/json",
                                                    "Content-Length": b"12abc"}, JOB), False, 400),
    "negative length": (
        lambda t: request("POST", "/api/v1/jobs", {"Authorization": t, "Content-Type": b"application/json",
                                                    "Content-Length": b"-1"}, JOB), False, 400),
    "two lengths that disagree": (
        lambda t: request("POST", "/api/v1/jobs", {"Authorization": t, "Content-Type": b"application/json",
                                                    "Content-Length": str(len(JOB)).encode() + b", 3"}, JOB),
        False, 400),
    "chunked and a length at once": (
        lambda t: request("POST", "/api/v1/jobs", {"Authorization": t, "Content-Type": b"application/json",
                                                    "Content-Length": str(len(JOB)).encode(),
                                                    "Transfer-Encoding": b"chunked"},
                          f"{len(JOB):x}\r\n".encode() + JOB + b"\r\n0\r\n\r\n"), False, 400),
    "a bad chunk size": (
        lambda t: request("POST", "/api/v1/jobs", {"Authorization": t, "Content-Type": b"application/json",
                                                    "Transfer-Encoding": b"chunked"}, b"zz\r\n" + JOB), False, 400),
    "an empty body with a JSON type": (
        lambda t: request("POST", "/api/v1/jobs", {"Authorization": t, "Content-Type": b"application/json",
                                                    "Content-Length": b"0", "Connection": b"close"}), False, 422),
    "a body with no type": (
        lambda t: request("POST", "/api/v1/jobs", {"Authorization": t, "Content-Length": str(len(JOB)).encode(),
                                                    "Connection": b"close"}, JOB), False, 400),
    "a raw NUL in a header value": (
        lambda t: request("GET", "/api/v1/jobs", {"Authorization": t, "X-Request-Id": b"a\x00b",
                                                   "Connection": b"close"}), False, 400),
    "a raw NUL in the path": (
        lambda t: request("GET", "/api/v1/jobs\x00/1", {"Authorization": t, "Connection": b"close"}), False, 400),
    "an oversized header": (
        lambda t: request("GET", "/api/v1/jobs", {"Authorization": t, "X-Big": b"x" * 20000,
                                                   "Connection": b"close"}), False, 431),
    "a request line over the limit": (
        lambda t: request("GET", "/api/v1/jobs?q=" + "x" * 5000, {"Authorization": t, "Connection": b"close"}),
        False, 414),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_http_gets_a_4xx_and_stores_nothing(live_server: LiveServer, token: bytes, name: str) -> None:
    build, close_write, expected = CASES[name]
    status, body = exchange(live_server, build(token), close_write=close_write)
    assert status == expected, (name, status, body[:300])
    if body.startswith(b"{"):  # the app's answer (gunicorn's own are HTML pages)
        assert json.loads(body)["code"] == status
    assert wire_jobs(live_server) == 0
