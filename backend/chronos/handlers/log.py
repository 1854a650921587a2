"""The default handler: records the job's payload in the execution log. Always succeeds."""

from __future__ import annotations

from . import Call, Outcome, register


@register("log")
async def log_payload(call: Call) -> Outcome:
    """Write the payload to the execution log."""
    call.log("info", f"Job {call.job_name!r} fired ({call.trigger}).", {"payload": call.payload})
    return Outcome(ok=True, result={"logged": True})
