"""Extra receivers (`receiver` is in tests/conftest.py) and a builder of calls for the `http` handler."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from chronos.handlers import Call
from tests.live import Receiver, running_receiver

SECRET = "job-signing-secret"


@pytest.fixture
def second_receiver() -> Iterator[Receiver]:
    """Another receiver on 127.0.0.1 (another origin: another port) beside `receiver`."""
    with running_receiver() as running:
        yield running


@pytest.fixture
def other_receiver() -> Iterator[Receiver]:
    """A receiver on 127.0.0.2, which the tests never allow-list."""
    with running_receiver("127.0.0.2") as running:
        yield running


@pytest.fixture
def make_call() -> Callable[..., Call]:
    """Build a Call for the `http` handler; its log lines are collected in `call.lines`."""

    def make(url: str, **target: Any) -> Call:
        lines: list[tuple[str, str, dict[str, Any] | None]] = []
        options = {k: target.pop(k) for k in ("payload", "timeout_seconds", "attempt") if k in target}
        call = Call(
            execution_id=41,
            job_id=7,
            job_name="hook",
            attempt=options.get("attempt", 1),
            scheduled_for=datetime(2026, 11, 28, 10, 0, tzinfo=UTC),
            trigger="schedule",
            handler="http",
            target={"url": url, **target},
            payload=options.get("payload", {"n": 1}),
            timeout_seconds=options.get("timeout_seconds", 5.0),
            signing_secret=SECRET,
            log=lambda level, message, data=None: lines.append((level, message, data)),
        )
        call.lines = lines  # type: ignore[attr-defined]
        return call

    return make
