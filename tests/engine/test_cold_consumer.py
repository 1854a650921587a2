"""A consumer that has just started runs its first batches like any other: several batches handled at
once by its thread workers find every handler registered — the built-in `http` and a deployment's own
handler whose module is slow to import."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from chronos.extensions import db
from chronos.models import Execution, db_now
from chronos.tasks import enqueue_executions
from tests.factories import make_execution, make_job
from tests.live import wait_for

BATCHES = 6
PER_BATCH = 5


@pytest.mark.parametrize("stock", [False, True], ids=["chronos-worker", "huey_consumer"])
def test_a_cold_consumer_with_thread_workers_fails_none_of_its_first_batches(app, consumers, receiver, stock):
    # Queued before the consumer exists, due at distinct instants a moment after it starts, so its
    # four worker threads take several batches at the same time as their very first tasks.
    due = db_now() + timedelta(seconds=3)
    rows = []
    for batch in range(BATCHES):
        when = due + timedelta(milliseconds=50 * batch)
        for index in range(PER_BATCH):
            if index % 2:
                job = make_job(name=f"cold {batch}.{index}", handler="slow_import", max_retries=0)
            else:
                job = make_job(name=f"cold {batch}.{index}", handler="http", max_retries=0,
                               target={"url": f"{receiver.url}/ok/{batch}-{index}", "method": "POST"})
            rows.append((make_execution(job, scheduled_for=when).id, when))
    enqueue_executions(rows)

    modules = "tests.engine.sample_handlers,tests.engine.slow_import_handlers"
    consumers.start(workers=4, periodic=False, stock=stock,
                    extra_env={"CHRONOS_WORKER_TYPE": "thread", "CHRONOS_HANDLER_MODULES": modules})

    def finished() -> list[tuple[str, str | None]]:
        db.session.expire_all()
        result = db.session.execute(select(Execution.status, Execution.error)).all()
        db.session.rollback()
        done = [(row.status, row.error) for row in result if row.status not in ("pending", "running")]
        return done if len(done) == len(rows) else []

    outcomes = wait_for(finished, 30, message="every execution finished")
    assert {status for status, _ in outcomes} == {"succeeded"}, outcomes
    assert len(receiver.matching("/ok/")) == sum(1 for batch in range(BATCHES) for i in range(PER_BATCH)
                                                  if i % 2 == 0)

