"""Handlers the engine tests register through CHRONOS_HANDLER_MODULES (which proves the registry).

They talk to nothing but the test's own Redis database, so a handler running in a consumer
process can count its calls and be told how to behave.
"""

from __future__ import annotations

import asyncio
import os

import redis

from chronos.handlers import Call, Outcome, register


def _redis() -> redis.Redis:
    return redis.Redis.from_url(os.environ["REDIS_URL"])


def calls_key(execution_id: int) -> str:
    return f"sample:calls:{execution_id}"


@register("flaky")
async def flaky(call: Call) -> Outcome:
    """Fails the first `payload["failures"]` attempts of an execution, then succeeds."""
    count = _redis().incr(calls_key(call.execution_id))
    call.log("info", f"flaky call {count}", {"attempt": call.attempt})
    if count <= int((call.payload or {}).get("failures", 0)):
        return Outcome(ok=False, error=f"planned failure {count}", result={"call": count})
    return Outcome(ok=True, result={"call": count})


@register("sleepy")
async def sleepy(call: Call) -> Outcome:
    """Records that it started, then sleeps `payload["seconds"]` (cancellable, as a real call is)."""
    client = _redis()
    client.rpush("sample:started", f"{call.execution_id}:{call.attempt}")
    client.incr(calls_key(call.execution_id))
    await asyncio.sleep(float((call.payload or {}).get("seconds", 1)))
    client.rpush("sample:finished", f"{call.execution_id}:{call.attempt}")
    return Outcome(ok=True, result={"slept": True})


@register("count")
async def count(call: Call) -> Outcome:
    """Counts each call of (job, slot) so a test can prove exactly-once."""
    _redis().hincrby("sample:slots", f"{call.job_id}@{call.scheduled_for.isoformat()}", 1)
    return Outcome(ok=True)


@register("asks_to_wait")
async def asks_to_wait(call: Call) -> Outcome:
    """Fails asking for `payload["retry_after"]` seconds, as a 429/503 with Retry-After would."""
    return Outcome(ok=False, error="busy", retry_after=float((call.payload or {}).get("retry_after", 1)))


@register("refuses")
async def refuses(call: Call) -> Outcome:
    """A final failure (like a 404): not retried whatever attempts are left."""
    return Outcome(ok=False, error="HTTP 404 Not Found", retryable=False)


@register("follows")
async def follows(call: Call) -> Outcome:
    """Records the upstream executions a run was given, then sleeps `payload["seconds"]` (0 default)."""
    upstream = ",".join(map(str, call.upstream_execution_ids))
    _redis().rpush("sample:follows", f"{call.job_id}:{call.execution_id}:{upstream}")
    await asyncio.sleep(float((call.payload or {}).get("seconds", 0)))
    return Outcome(ok=True, result={"followed": upstream})
