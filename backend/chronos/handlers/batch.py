"""Running calls: a batch's calls concurrently on one long-lived event loop per process.

The executor hands over the calls of a batch (slots due at one instant) and gets each outcome
with the moment it finished; notifications and test runs hand over one call at a time. All of them
run on the same loop, in a thread of its own, so the resources handlers open once for many calls
(`BatchResource`: the `http` handler's pooled session) outlive a batch: the next batch to the same
targets reuses their kept-alive connections instead of opening one per call (measured here, a
5000-job burst arrives ~30 % sooner). The resources' settings are read for every batch, in the
caller's app context; a batch whose settings differ gets resources of its own, and the old ones
close once their calls are done.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
import time
from collections.abc import Hashable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from . import BatchResource, Call, Outcome, batch_resources, run_call

Finished = tuple[Outcome, float]
# Finished calls are handed back in chunks: what finished within this long of a chunk's first call.
FLUSH_SECONDS = 0.05
# Calls due at one instant are started this many per turn of the event loop (see _dispatch).
START_PER_TURN = 32


def _settings(resources: list[BatchResource]) -> tuple[Hashable, ...]:
    return tuple(resource.settings() for resource in resources)


async def run_calls(calls: list[Call], settings: tuple[Hashable, ...] | None = None) -> list[Outcome]:
    """Run calls concurrently with every batch resource opened (once) around them."""
    resources = batch_resources()
    values = settings if settings is not None else _settings(resources)
    async with AsyncExitStack() as stack:
        for resource, value in zip(resources, values, strict=True):
            await stack.enter_async_context(resource.open(value))
        return list(await asyncio.gather(*(run_call(call) for call in calls)))


@dataclass
class Done:
    """One finished call: its index in the batch, its outcome, when it started and finished (monotonic)."""

    index: int
    outcome: Outcome
    started: float
    finished: float


class CallLoop:
    """One event loop per process, in its own thread, where every batch's calls run.

    A batch can give each call the monotonic instant it is due: the call waits on the loop and
    leaves at that instant, so a worker thread hands over a whole window of slots at once and
    never sleeps for one. Finished calls are streamed back as they finish (`stream`), so their
    results can be written while the rest of the window is still to come.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0
        self._server: tuple[tuple[Hashable, ...], asyncio.Queue[Any]] | None = None

    def stream(
        self, calls: list[Call], due: list[float] | None = None, flush_seconds: float = FLUSH_SECONDS
    ) -> Iterator[list[Done]]:
        """Run the calls (each at its monotonic instant `due[i]`, else at once); yield them in chunks
        as they finish: a chunk is what finished within `flush_seconds` of its first."""
        if not calls:
            return
        sink: queue.SimpleQueue[Done] = queue.SimpleQueue()
        resources = batch_resources()
        settings = _settings(resources)
        asyncio.run_coroutine_threadsafe(
            self._submit(resources, settings, calls, due, sink), self._ensure_loop()
        )
        remaining = len(calls)
        while remaining:
            chunk = [sink.get()]
            deadline = time.monotonic() + flush_seconds
            while len(chunk) < remaining:
                wait = deadline - time.monotonic()
                if wait <= 0:
                    break
                try:
                    chunk.append(sink.get(timeout=wait))
                except queue.Empty:
                    break
            remaining -= len(chunk)
            yield chunk

    def run(self, calls: list[Call]) -> list[Finished]:
        """Run the calls at once; each outcome with the monotonic time its call finished, in order."""
        finished: list[Finished | None] = [None] * len(calls)
        for chunk in self.stream(calls):
            for done in chunk:
                finished[done.index] = (done.outcome, done.finished)
        return [item for item in finished if item is not None]

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            # A forked worker process starts with a loop of its own (the parent's thread is not there).
            if self._loop is None or self._pid != os.getpid():
                self._loop = asyncio.new_event_loop()
                self._pid = os.getpid()
                self._server = None
                threading.Thread(target=self._loop.run_forever, name="chronos-calls", daemon=True).start()
            return self._loop

    async def _submit(
        self,
        resources: list[BatchResource],
        settings: tuple[Hashable, ...],
        calls: list[Call],
        due: list[float] | None,
        sink: queue.SimpleQueue[Done],
    ) -> None:
        if self._server is None or self._server[0] != settings:
            if self._server is not None:
                self._server[1].put_nowait(None)  # the old resources close after their calls
            inbox: asyncio.Queue[Any] = asyncio.Queue()
            self._server = (settings, inbox)
            asyncio.get_running_loop().create_task(self._serve(resources, settings, inbox))
        self._server[1].put_nowait((calls, due, sink))

    async def _serve(
        self, resources: list[BatchResource], settings: tuple[Hashable, ...], inbox: asyncio.Queue[Any]
    ) -> None:
        """Hold the resources open; run each call in a task that inherits them (context variables)."""
        running: set[asyncio.Task[None]] = set()
        try:
            async with AsyncExitStack() as stack:
                for resource, value in zip(resources, settings, strict=True):
                    await stack.enter_async_context(resource.open(value))
                while (item := await inbox.get()) is not None:
                    calls, due, sink = item
                    task = asyncio.create_task(_dispatch(calls, due, sink, running))
                    running.add(task)
                    task.add_done_callback(running.discard)
                if running:
                    await asyncio.gather(*running, return_exceptions=True)
        except Exception as exc:  # opening a resource failed: fail whatever waits, never hang
            while not inbox.empty():
                item = inbox.get_nowait()
                if item is not None:
                    _fail_all(item[0], item[2], exc)
            if self._server is not None and self._server[1] is inbox:
                self._server = None
            raise


async def _dispatch(
    calls: list[Call],
    due: list[float] | None,
    sink: queue.SimpleQueue[Done],
    running: set[asyncio.Task[None]],
) -> None:
    """Start each call at its instant, at most `START_PER_TURN` per turn of the loop.

    A thousand calls due at one instant, all started in one turn, would each take their first
    steps before the loop looks at a single socket: the first request would leave only once every
    call had been set up (hundreds of milliseconds). Started a few dozen per turn, the first
    requests are on the wire while the rest are still being set up.
    """
    order = sorted(range(len(calls)), key=lambda index: due[index] if due else 0.0)
    started_this_turn = 0
    for index in order:
        if due is not None:
            wait = due[index] - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                started_this_turn = 0
        if started_this_turn >= START_PER_TURN:
            await asyncio.sleep(0)  # one turn of the loop: sockets are served before the next ones start
            started_this_turn = 0
        task = asyncio.create_task(_timed(index, calls[index], sink))
        running.add(task)
        task.add_done_callback(running.discard)
        started_this_turn += 1


async def _timed(index: int, call: Call, sink: queue.SimpleQueue[Done]) -> None:
    """Run one call and hand its outcome to the waiting thread."""
    started = time.monotonic()
    try:
        outcome = await run_call(call)
    except BaseException as exc:  # cancelled (the loop is stopping): the thread must not wait forever
        now = time.monotonic()
        sink.put(Done(index, Outcome(ok=False, error=f"The call was cancelled: {exc!r}"), started, now))
        raise
    sink.put(Done(index, outcome, started, time.monotonic()))


def _fail_all(calls: list[Call], sink: queue.SimpleQueue[Done], exc: Exception) -> None:
    now = time.monotonic()
    for index in range(len(calls)):
        sink.put(Done(index, Outcome(ok=False, error=f"Internal error running the handler: {exc}"), now, now))


_call_loop = CallLoop()


def run_batch(calls: list[Call]) -> list[Finished]:
    """Run a batch on this process's loop; each outcome with the monotonic time its call finished."""
    return _call_loop.run(calls)


def stream_batch(calls: list[Call], due: list[float] | None = None) -> Iterator[list[Done]]:
    """Run a batch on this process's loop, each call at its monotonic instant; yield finished chunks."""
    return _call_loop.stream(calls, due)


def run_one(call: Call) -> Outcome:
    """Run one call (a notification's webhook, a test run) on this process's loop."""
    return _call_loop.run([call])[0][0]
