"""A user backfills a job's last day from its page (a dry run first, then for real, watching its
progress), and sets, changes and removes a concurrency limit. Both pages: axe clean, at phone width too."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .conftest import PASSWORD

PHONE = {"width": 390, "height": 844}


def _no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def test_a_dry_run_backfill_then_a_real_one_showing_its_progress(
    page: Page, signed_in: str, api, shot
) -> None:
    token = api.token(signed_in, PASSWORD)
    job = api.create_job(
        token,
        name="Hourly export",
        schedule_type="cron",
        cron_expression="0 * * * *",
        timezone="Asia/Tokyo",
        handler="log",
        payload={"export": "hourly"},
    )
    page.goto(f"/jobs/{job['id']}")
    section = page.get_by_role("region", name="Backfill")
    expect(section).to_be_visible()
    # The form starts on the last 24 hours; running two at a time.
    section.get_by_label("At most at once").fill("2")
    start = section.get_by_role("button", name="Start backfill")
    expect(start).to_be_disabled()  # only after the slots were shown

    section.get_by_role("button", name="Show slots").click()
    expect(section.get_by_text("24 slots in this range.")).to_be_visible()
    slots = section.get_by_role("list", name="Slots to run").get_by_role("listitem")
    expect(slots).to_have_count(24)
    expect(slots.first).to_contain_text("JST")  # shown in the job's zone
    shot("backfill-dry-run")

    start.click()
    expect(page.get_by_text(re.compile(r"Backfill #\d+ started: 24 run\(s\)\."))).to_be_visible()
    rows = section.get_by_role("row")
    expect(rows.nth(1)).to_contain_text(re.compile(r"\d+ of 24 done"))
    # The page follows it until every backfilled slot has run.
    expect(rows.nth(1)).to_contain_text("24 of 24 done", timeout=60_000)
    expect(rows.nth(1)).to_contain_text("completed")
    history = page.get_by_role("table", name=re.compile("Execution history"))
    expect(history.get_by_role("cell", name="backfill").first).to_be_visible()
    shot("backfill-completed")
    page.set_viewport_size(PHONE)
    _no_sideways_scroll(page)
    shot("phone-backfill-completed")

    # The same day again: every slot already ran, so nothing more is created.
    section.get_by_role("button", name="Show slots").click()
    expect(section.get_by_text("24 slots in this range.")).to_be_visible()
    start.click()
    expect(page.get_by_text(re.compile(r"Backfill #\d+ started: 0 run\(s\)\."))).to_be_visible()


def test_set_change_and_remove_a_concurrency_limit(page: Page, signed_in: str, shot) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Limits").click()
    expect(page.get_by_role("heading", name="Concurrency limits", level=1)).to_be_visible()
    expect(page.get_by_text("No limits yet")).to_be_visible()

    page.get_by_label("Concurrency key").fill("not a key")
    page.get_by_role("button", name="Save limit").click()
    expect(page.get_by_text("Only letters, digits and . _ : - are allowed.")).to_be_visible()

    page.get_by_label("Concurrency key").fill("api.example.com")
    page.get_by_label("At most running at once").fill("3")
    page.get_by_label("At most starts per second (optional)").fill("2")
    page.get_by_role("button", name="Save limit").click()
    expect(page.get_by_text("Limit of “api.example.com” saved: at most 3 at once.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="api.example.com")
    expect(row).to_contain_text("3")
    expect(row).to_contain_text("2")
    shot("concurrency-limits")

    row.get_by_role("button", name="Change the limit of api.example.com").click()
    page.get_by_label("At most running at once").fill("5")
    page.get_by_role("button", name="Save limit").click()
    expect(page.get_by_text("at most 5 at once.")).to_be_visible()
    page.set_viewport_size(PHONE)
    _no_sideways_scroll(page)
    shot("phone-concurrency-limits")

    row.get_by_role("button", name="Remove the limit of api.example.com").click()
    page.get_by_role("dialog").get_by_role("button", name="Remove limit").click()
    expect(page.get_by_text("No limits yet")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="api.example.com")).to_have_count(0)
