"""The handler registry: a deployment's own handler, registered as the package docstring shows."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chronos import handlers
from chronos.handlers import Call, Outcome, register, run_call


@pytest.fixture(autouse=True)
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test registers into a copy, so no test leaves a handler behind for others."""
    handlers.load_builtin_handlers()
    monkeypatch.setattr(handlers, "_registry", dict(handlers._registry))


def make_call(handler: str, payload: Any = None, timeout_seconds: float = 5.0) -> Call:
    lines: list[tuple[str, str, Any]] = []
    call = Call(
        execution_id=1,
        job_id=2,
        job_name="custom",
        attempt=1,
        scheduled_for=datetime(2026, 11, 28, tzinfo=UTC),
        trigger="manual",
        handler=handler,
        target=None,
        payload=payload,
        timeout_seconds=timeout_seconds,
        signing_secret="s",
        log=lambda level, message, data=None: lines.append((level, message, data)),
    )
    call.lines = lines  # type: ignore[attr-defined]
    return call


def test_custom_handler_registers_and_runs_through_run_call() -> None:
    @register("my_handler")
    async def my_handler(call: Call) -> Outcome:
        call.log("info", "doing the thing", {"payload": call.payload})
        return Outcome(ok=True, result={"done": True})

    call = make_call("my_handler", payload={"n": 3})
    outcome = asyncio.run(run_call(call))

    assert outcome == Outcome(ok=True, result={"done": True})
    assert call.lines == [("info", "doing the thing", {"payload": {"n": 3}})]
    assert "my_handler" in handlers.handler_names()


def test_builtin_handlers_are_registered() -> None:
    assert {"http", "log"} <= set(handlers.handler_names())


def test_unknown_handler_is_a_final_failure() -> None:
    outcome = asyncio.run(run_call(make_call("nope")))
    assert not outcome.ok and not outcome.retryable
    assert outcome.error == "Unknown handler 'nope'."


def test_handler_exception_fails_the_attempt_not_the_worker() -> None:
    @register("broken")
    async def broken(call: Call) -> Outcome:
        raise KeyError("missing")

    outcome = asyncio.run(run_call(make_call("broken")))
    assert not outcome.ok and outcome.retryable
    assert outcome.error == "KeyError: 'missing'"


def test_slow_handler_is_stopped_at_its_timeout() -> None:
    @register("sleepy")
    async def sleepy(call: Call) -> Outcome:
        await asyncio.sleep(10)
        return Outcome(ok=True)

    outcome = asyncio.run(run_call(make_call("sleepy", timeout_seconds=0.05)))
    assert not outcome.ok and outcome.error == "Timed out after 0.05 s."


def test_handler_modules_from_the_environment_are_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "acme_handlers.py").write_text(
        "from chronos.handlers import Call, Outcome, register\n\n"
        "@register('acme_ping')\n"
        "async def acme_ping(call: Call) -> Outcome:\n"
        "    return Outcome(ok=True, result={'pong': call.payload})\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("CHRONOS_HANDLER_MODULES", " acme_handlers , ")
    monkeypatch.setattr(handlers, "_loaded", False)
    monkeypatch.delitem(sys.modules, "acme_handlers", raising=False)

    handlers.load_builtin_handlers()  # what create_app does when a process starts
    outcome = asyncio.run(run_call(make_call("acme_ping", payload="hi")))

    assert outcome.ok and outcome.result == {"pong": "hi"}
    sys.modules.pop("acme_handlers", None)


def test_log_handler_records_the_payload() -> None:
    call = make_call("log", payload={"k": "v"})
    outcome = asyncio.run(run_call(call))
    assert outcome.ok
    assert call.lines[0][2] == {"payload": {"k": "v"}}


def test_building_the_app_fills_the_registry_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    from chronos import create_app

    monkeypatch.setattr(handlers, "_registry", {})
    monkeypatch.setattr(handlers, "_loaded", False)
    for name in ("chronos.handlers.log", "chronos.handlers.http"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert handlers.handler_names() == []  # nothing is loaded on first use any more

    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})

    assert {"http", "log"} <= set(handlers.handler_names())
