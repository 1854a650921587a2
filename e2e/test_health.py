"""Issue 15, item 8: the operator's view. The health page, the banner on every page, late runs marked,
with the worker stopped and a backlog waiting, and back to normal once a worker returns."""
from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from .conftest import Stack

BACKLOG = 30


@pytest.fixture
def worker_stopped(stack: Stack) -> Iterator[Stack]:
    """The stack's consumer stopped for the test, and started again afterwards whatever happens."""
    stack.stop_worker()
    try:
        yield stack
    finally:
        if stack.worker is None:
            stack.start_worker()


def test_8_with_the_worker_stopped_and_a_backlog_the_app_says_what_is_wrong(
        page: Page, signed_in: str, api, worker_stopped: Stack, shot) -> None:
    stack = worker_stopped
    token = api.token(signed_in)
    headers = {"Authorization": f"Bearer {token}"}
    job = api.create_job(token, name="Every minute", schedule_type="cron", cron_expression="* * * * *")
    busy = api.create_job(token, name="Backlogged", schedule_type="cron", cron_expression="0 0 1 1 *")
    for _ in range(BACKLOG):
        response = httpx.post(f"{stack.url}/api/v1/jobs/{busy['id']}/execute", headers=headers)
        assert response.status_code == 202
    # Time passes with nothing running: the runs and the job's next run fall behind.
    stack.sql("UPDATE executions SET scheduled_for = scheduled_for - interval '30 seconds' WHERE job_id = %s",
              busy["id"])
    stack.sql("UPDATE jobs SET next_run_at = now() - interval '51 seconds' WHERE id = %s", job["id"])

    # Every page carries the banner; it says what is wrong in words and leads to the health page.
    page.goto("/jobs")
    banner = page.get_by_role("region", name="Scheduler status")
    expect(banner).to_contain_text("The scheduler is not running jobs.")
    expect(banner).to_contain_text("No worker is running: nothing runs until one starts (chronos worker).")
    expect(banner).to_contain_text(f"{BACKLOG + 1} runs are overdue")
    # The job whose next run passed is marked late in the list, and on its page.
    row = page.get_by_role("row").filter(has_text="Every minute")
    expect(row.get_by_text("late", exact=True)).to_be_visible()
    row.get_by_role("link", name="Every minute").click()
    expect(page.get_by_role("region", name="Settings").get_by_text("late", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="Scheduler status")).to_be_visible()
    # The backlogged runs are marked late in the job's history.
    page.goto(f"/jobs/{busy['id']}")
    history = page.get_by_role("table", name="Execution history, newest first")
    expect(history.get_by_role("row").filter(has_text="pending").first.get_by_text("late", exact=True)).to_be_visible()

    page.get_by_role("link", name="See scheduler health").click()
    expect(page.get_by_role("heading", name="Scheduler health", level=1)).to_be_visible()
    expect(page.get_by_text("The scheduler is not running jobs.").first).to_be_visible()
    mine = page.get_by_role("region", name="Your jobs")
    expect(mine).to_contain_text(f"Overdue runs{BACKLOG + 1}")
    expect(mine.get_by_role("link", name=re.compile(r"Backlogged · run #\d+"))).to_have_count(19)
    expect(mine.get_by_role("link", name="Every minute · next run not planned")).to_be_visible()
    expect(page.get_by_role("region", name="Workers")).to_contain_text("No worker is alive.")
    scheduler = page.get_by_role("region", name="The scheduler")
    expect(scheduler).to_contain_text("DatabaseReachable")
    expect(scheduler).to_contain_text(re.compile(r"Waiting in the queue\d+ ready, \d+ waiting for their time"))
    expect(scheduler).to_contain_text(re.compile(r"Last safety sync.* on .*:\d+"))
    shot("health-worker-stopped")

    # A test run with no worker says so plainly, after a while.
    page.goto("/jobs/new")
    page.get_by_label("Name").fill("Try me")
    page.get_by_role("button", name="Test run").click()
    expect(page.get_by_text("No worker has picked the test run up yet.")).to_be_visible(timeout=20_000)

    # A worker comes back: the backlog drains. The hour's lateness still tells of the outage.
    stack.start_worker()
    page.goto("/system")
    mine = page.get_by_role("region", name="Your jobs")
    expect(mine).to_contain_text("Overdue runs0", timeout=60_000)
    expect(page.get_by_role("region", name="Workers")).to_contain_text("1 worker alive")
    expect(page.get_by_text("The scheduler is running, but something is behind.")).to_be_visible(timeout=20_000)
    expect(page.get_by_role("region", name="Scheduler status")).to_contain_text(
        re.compile(r"Runs start late: 1 in 100 started more than \d+ (s|min) after its time in the last hour\."))
    statuses = httpx.get(f"{stack.url}/api/v1/jobs/{busy['id']}/executions", params={"limit": 100},
                         headers=headers).json()["items"]
    assert len(statuses) == BACKLOG and {item["status"] for item in statuses} == {"succeeded"}

    # Those runs deleted with their jobs, all is well again, and the banner goes.
    for stale in (job, busy):
        assert httpx.delete(f"{stack.url}/api/v1/jobs/{stale['id']}", headers=headers).status_code == 204
    expect(page.get_by_text("Everything is running on time.")).to_be_visible(timeout=20_000)
    expect(page.get_by_role("region", name="Scheduler status")).to_have_count(0)
    shot("health-ok")
