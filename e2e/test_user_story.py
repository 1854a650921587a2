"""Issue 5's user story, in a real browser against the real stack.

register (which signs in) → build a weekly cron visually (words, next runs) → save → see it listed →
a one-time HTTP job due in a few seconds → it turns `succeeded` in the history without a reload →
its logs → pause, resume, run now → delete → sign out.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from .conftest import PASSWORD, unique_email

BERLIN = ZoneInfo("Europe/Berlin")  # the browser's zone (browser_context_args)


def test_new_user_schedules_a_job_watches_it_run_and_cleans_up(page: Page, receiver, shot) -> None:
    email = unique_email("story")

    # Register: the new account is signed in at once.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2F$"))
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    shot("register")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text(email)).to_be_visible()

    # Build a weekly schedule visually: Wednesday and Friday at 09:30, in the browser's zone.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New job").click()
    expect(page.get_by_role("heading", name="New job")).to_be_visible()
    page.get_by_label("Name").fill("Weekly report")
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Berlin")
    page.get_by_label("Repeat").select_option("weekly")
    page.get_by_label("Monday").uncheck()
    page.get_by_label("Wednesday").check()
    page.get_by_label("Friday").check()
    page.get_by_label("At time").fill("09:30")
    expect(page.get_by_label("Cron expression")).to_have_value("30 9 * * 3,5")
    expect(page.locator("#cron-words")).to_have_text(re.compile(r"09:30.*Wednesday and Friday"))
    next_runs = page.get_by_role("list", name="Next five runs").get_by_role("listitem")
    expect(next_runs).to_have_count(5)
    for text in next_runs.all_inner_texts():
        assert re.match(r"^(Wed|Fri), .* 09:30 (CET|CEST)", text), text
    page.get_by_label("Action").select_option("http")
    page.get_by_label("URL").fill(f"{receiver.url}/weekly")
    shot("job-editor-weekly")
    page.get_by_role("button", name="Create job").click()
    expect(page.get_by_role("heading", name="Weekly report")).to_be_visible()
    expect(page.get_by_role("heading", name="Signing secret — shown only once")).to_be_visible()
    assert len(page.locator("#signing-secret").inner_text()) >= 20
    shot("job-detail-new")

    # It is listed, with its schedule in words.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Jobs").click()
    row = page.get_by_role("row").filter(has_text="Weekly report")
    expect(row).to_contain_text("At 09:30, only on Wednesday and Friday")
    expect(row).to_contain_text("Never run")

    # A one-time HTTP job due in a few seconds, against the local receiver.
    page.get_by_role("link", name="New job").first.click()
    page.get_by_label("Name").fill("Ping the receiver")
    page.get_by_label("One time").check()
    due = datetime.now(BERLIN) + timedelta(seconds=6)
    page.get_by_label("Run at").fill(due.strftime("%Y-%m-%dT%H:%M:%S"))
    page.get_by_label("Action").select_option("http")
    page.get_by_label("URL").fill(f"{receiver.url}/ping")
    page.get_by_role("button", name="+ Add header").click()
    page.get_by_label("Header 1 name").fill("X-Story")
    page.get_by_label("Header 1 value").fill("one-time")
    page.get_by_label("Body").fill('{"hello": "world"}')
    page.get_by_text("Advanced", exact=True).click()
    page.get_by_label("Max retries").fill("0")
    page.get_by_role("button", name="Create job").click()
    expect(page.get_by_role("heading", name="Ping the receiver")).to_be_visible()

    # Watch it succeed in the history, without reloading the page.
    history = page.get_by_role("table", name="Execution history, newest first")
    expect(history.get_by_text("succeeded")).to_be_visible(timeout=30_000)
    calls = receiver.wait_for_requests(1)
    assert calls[0].path == "/ping" and calls[0].method == "POST"
    assert calls[0].headers.get("X-Story") == "one-time"
    assert json.loads(calls[0].body) == {"hello": "world"}
    expect(page.get_by_text("completed", exact=True).first).to_be_visible()
    shot("job-detail-succeeded")

    # Its logs, attempt by attempt.
    history.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    expect(page.get_by_role("heading", name=re.compile(r"^Execution #\d+$"))).to_be_visible()
    expect(page.get_by_role("heading", name="Attempt 1")).to_be_visible()
    expect(page.get_by_text(re.compile(r"HTTP 200"))).to_be_visible()
    expect(page.get_by_role("heading", name="Response excerpt")).to_be_visible()
    expect(page.locator("pre").filter(has_text='"received"')).to_be_visible()
    shot("execution-detail")

    # Pause, resume and run the weekly job now, from the list.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Jobs").click()
    row = page.get_by_role("row").filter(has_text="Weekly report")
    row.get_by_role("button", name="Pause Weekly report").click()
    expect(row.get_by_text("paused", exact=True)).to_be_visible()
    expect(row).to_contain_text("Paused")
    row.get_by_role("button", name="Resume Weekly report").click()
    expect(row.get_by_role("button", name="Pause Weekly report")).to_be_visible()
    expect(row.get_by_text("paused", exact=True)).to_have_count(0)
    row.get_by_role("button", name="Run now Weekly report").click()
    expect(page.get_by_role("status")).to_contain_text("Started a run of “Weekly report”")
    receiver.wait_for_requests(2)
    assert receiver.requests[1].path == "/weekly"
    row.get_by_role("link", name="Weekly report").click()
    history = page.get_by_role("table", name="Execution history, newest first")
    manual = history.get_by_role("row").filter(has_text="manual")
    expect(manual.get_by_text("succeeded")).to_be_visible(timeout=20_000)

    # Delete it, after confirming.
    page.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Delete “Weekly report”?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Delete job").click()
    expect(page.get_by_role("heading", name="Jobs")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Weekly report")).to_have_count(0)
    expect(page.get_by_role("row").filter(has_text="Ping the receiver")).to_have_count(1)
    shot("jobs-list")

    # The dashboard counts what happened.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_text("Runs, last 24 h")).to_be_visible()
    # The deleted job took its executions with it: the one-time run remains.
    expect(page.get_by_role("img", name=re.compile(r"Runs per hour .* 1 in total, 0 failed"))).to_be_visible()
    shot("dashboard")

    # Sign out; the app is closed again.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    shot("sign-in")
    page.goto("/jobs")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fjobs$"))


def test_editing_a_job_changes_its_schedule_and_keeps_its_secret_header(page: Page, signed_in: str, api,
                                                                        receiver) -> None:
    token = api.token(signed_in)
    job = api.create_job(token, name="Nightly sync", schedule_type="cron", cron_expression="0 2 * * *",
                         timezone="America/New_York", handler="http",
                         target={"url": f"{receiver.url}/old", "method": "POST",
                                 "headers": {"Authorization": "Bearer s3cret", "X-Plain": "visible"}})
    page.goto(f"/jobs/{job['id']}")
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", name="Edit “Nightly sync”")).to_be_visible()
    # The stored schedule is shown in the builder, in the job's own zone.
    expect(page.get_by_label("Repeat")).to_have_value("daily")
    expect(page.get_by_label("At time")).to_have_value("02:00")
    expect(page.get_by_label("Time zone")).to_have_value("America/New_York")
    # The secret header is masked; the plain one is not.
    expect(page.get_by_label("Header 1 value")).to_have_value("****")
    expect(page.get_by_label("Header 2 value")).to_have_value("visible")

    page.get_by_label("Repeat").select_option("monthly")
    page.get_by_label("Day of month").fill("15")
    page.get_by_label("At time").fill("07:15")
    expect(page.get_by_label("Cron expression")).to_have_value("15 7 15 * *")
    page.get_by_label("URL").fill(f"{receiver.url}/new")
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_role("heading", name="Nightly sync")).to_be_visible()
    expect(page.get_by_text("At 07:15, on day 15 of the month")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Changes saved.")
    expect(page.get_by_text(re.compile(r"15 \w{3} 20\d\d, 07:15 (EST|EDT|GMT-5|GMT-4)"))).to_be_visible()

    # Run now: the call goes to the new URL with the real secret, not the mask.
    page.get_by_role("button", name="Run now").click()
    call = receiver.wait_for_requests(1)[0]
    assert call.path == "/new"
    assert call.headers["Authorization"] == "Bearer s3cret"
    assert call.headers["X-Plain"] == "visible"
