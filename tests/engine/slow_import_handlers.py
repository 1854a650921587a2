"""A deployment's handler module that takes a while to import (as one pulling in a heavy SDK does).

Listed in CHRONOS_HANDLER_MODULES by the cold-start tests: while it is being imported, no other
thread may conclude that its handler does not exist.
"""

from __future__ import annotations

import time

from chronos.handlers import Call, Outcome, register

time.sleep(1.0)


@register("slow_import")
async def slow_import(call: Call) -> Outcome:
    """Succeeds at once; only its module's import is slow."""
    return Outcome(ok=True, result={"imported": True})
