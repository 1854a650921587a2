"""Handlers: what an execution runs. A registry of names, each an async function Call → Outcome.

A deployment adds its own handler with::

    from chronos.handlers import Call, Outcome, register

    @register("my_handler")
    async def my_handler(call: Call) -> Outcome:
        call.log("info", "doing the thing", {"payload": call.payload})
        return Outcome(ok=True, result={"done": True})

and imports that module where the worker starts (``CHRONOS_HANDLER_MODULES=myapp.handlers``).

All calls of a worker process run on one long-lived event loop, so a handler must never block it:
await asynchronous I/O, or push blocking work off the loop with ``await asyncio.to_thread(...)``.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import threading
from collections.abc import Awaitable, Callable, Hashable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

LogFn = Callable[[str, str, "dict[str, Any] | None"], None]


@dataclass
class Call:
    """One attempt of one execution, as a handler sees it."""

    execution_id: int
    job_id: int
    job_name: str
    attempt: int
    scheduled_for: datetime
    trigger: str
    handler: str
    target: dict[str, Any] | None
    payload: Any
    timeout_seconds: float
    signing_secret: str
    # The job's `retry_on_client_error`: a 4xx answer is retried like any failure.
    retry_on_client_error: bool = False
    # The upstream executions that caused a `dependency` run (empty otherwise).
    upstream_execution_ids: list[int] = field(default_factory=list)
    # Appends a line to this attempt's execution log: log(level, message, data).
    log: LogFn = field(default=lambda level, message, data=None: None, repr=False)


@dataclass
class Outcome:
    """What an attempt came to. `retryable=False` makes a failure final whatever attempts are left."""

    ok: bool
    error: str | None = None
    result: dict[str, Any] | None = None
    retryable: bool = True
    # Seconds the target asked us to wait (Retry-After), honoured within a cap by the executor.
    retry_after: float | None = None


HandlerFn = Callable[[Call], Awaitable[Outcome]]
_registry: dict[str, HandlerFn] = {}


@dataclass(frozen=True)
class BatchResource:
    """Something a handler opens once for a whole batch of calls (the `http` handler's pooled session).

    `settings()` is read in the caller's thread, where the app's configuration is in reach; batches
    whose settings are equal share one opened resource; `open(settings)` is an async context
    manager entered on the event loop around the calls (`batch.py`).
    """

    name: str
    settings: Callable[[], Hashable]
    open: Callable[[Any], AbstractAsyncContextManager[Any]]


_batch_resources: dict[str, BatchResource] = {}


def register_batch_resource(resource: BatchResource) -> None:
    """Have every batch open `resource` around its calls."""
    _batch_resources[resource.name] = resource


def batch_resources() -> list[BatchResource]:
    """The resources every batch opens, in the order they were registered."""
    return list(_batch_resources.values())


def register(name: str) -> Callable[[HandlerFn], HandlerFn]:
    """Register an async handler under `name` (decorator)."""

    def decorator(fn: HandlerFn) -> HandlerFn:
        _registry[name] = fn
        return fn

    return decorator


def get_handler(name: str) -> HandlerFn | None:
    """The handler registered under `name` (the registry is filled when the app is built)."""
    return _registry.get(name)


def handler_names() -> list[str]:
    """Every registered handler name (the API accepts only these)."""
    return sorted(_registry)


_loaded = False
_load_lock = threading.Lock()


def load_builtin_handlers() -> None:
    """Import the built-in handlers and any modules named in CHRONOS_HANDLER_MODULES.

    `create_app` calls this, so every web and worker process has its whole registry before it
    serves a request or runs a task: a registry filled lazily by the first request could be seen
    half-made by a second thread (an `http` job refused as "unknown handler"). The lock and the
    flag set only after every import make a concurrent call wait for the complete registry.
    """
    global _loaded
    if _loaded:
        return
    with _load_lock:
        if _loaded:
            return
        importlib.import_module(f"{__name__}.log")
        importlib.import_module(f"{__name__}.http")
        for module in filter(
            None, (m.strip() for m in os.environ.get("CHRONOS_HANDLER_MODULES", "").split(","))
        ):
            importlib.import_module(module)
        _loaded = True


async def run_call(call: Call) -> Outcome:
    """Run one call under its timeout; any exception becomes a failed Outcome, never a crash."""
    handler = get_handler(call.handler)
    if handler is None:
        return Outcome(ok=False, error=f"Unknown handler {call.handler!r}.", retryable=False)
    try:
        return await asyncio.wait_for(handler(call), timeout=call.timeout_seconds)
    except TimeoutError:
        return Outcome(ok=False, error=f"Timed out after {call.timeout_seconds:g} s.")
    except Exception as exc:  # noqa: BLE001 - a handler's bug must fail the attempt, not the worker
        return Outcome(ok=False, error=f"{type(exc).__name__}: {exc}")
