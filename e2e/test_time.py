"""Issue 14's user story, in a real browser: a holiday calendar is created, chosen in the editor,
and the skipped day shows in the preview and in the calendar view (keyboard and screen reader)."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import Page, expect


def _next_christmas() -> date:
    today = date.today()
    christmas = date(today.year, 12, 25)
    return christmas if christmas >= today else date(today.year + 1, 12, 25)


def test_a_holiday_calendar_skips_christmas_in_the_preview_and_the_calendar(
    page: Page, signed_in: str, shot, console_errors: list[str]
) -> None:
    # Create a holiday calendar: German public holidays, and one custom day.
    page.goto("/calendar")
    expect(page.get_by_role("heading", name="Calendar", exact=True)).to_be_visible()
    page.get_by_role("link", name="Holiday calendars").click()
    expect(page.get_by_role("heading", name="Holiday calendars")).to_be_visible()
    page.get_by_label("Name").fill("Germany")
    page.get_by_label("Country (public holidays)").fill("XX")
    page.get_by_role("button", name="Create calendar").click()
    expect(page.locator("#calendar-country-error")).to_contain_text("Unknown country code 'XX'")
    console_errors.clear()  # the refused request, logged by the browser
    page.get_by_label("Country (public holidays)").fill("DE")
    page.get_by_label("Custom dates (optional)").fill("2026-12-31")
    page.get_by_role("button", name="Create calendar").click()
    item = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Germany"))
    expect(item).to_contain_text("Public holidays DE · 1 custom date")
    item.get_by_role("button", name="Show days").click()
    expect(item).to_contain_text("Christmas Day")
    shot("calendars")

    # Choose it in the editor: runs on 24–26 December at 09:00; the 25th and 26th are holidays.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New job").click()
    page.get_by_label("Name").fill("Christmas report")
    page.get_by_label("Cron expression").fill("0 9 24-26 12 *")
    page.get_by_text("Daylight saving, holidays and jitter").click()
    page.get_by_label("Germany").check()
    runs = page.get_by_role("list", name=re.compile("Next five runs")).get_by_role("listitem")
    christmas = _next_christmas()
    skipped = runs.filter(has_text="skipped: calendar: Germany (Christmas Day)")
    expect(skipped.first).to_be_visible()
    expect(skipped.first).to_contain_text(f"25 Dec {christmas.year}")
    expect(runs.filter(has_text="skipped: calendar: Germany (Second Day of Christmas)").first).to_be_visible()
    # Five runs that fire, on the 24th of each year; the skipped ones are listed between them.
    assert len([t for t in runs.all_inner_texts() if "skipped" not in t]) == 5
    page.get_by_label("When clocks go back (a time happens twice)").select_option("both")
    shot("job-editor-time-rules")
    page.get_by_role("button", name="Create job").click()
    expect(page.get_by_role("heading", name="Christmas report")).to_be_visible()
    expect(page.get_by_text("Germany: runs are skipped")).to_be_visible()

    # The calendar view: step to December, move there with the keyboard, open the day.
    page.goto("/calendar")
    title = page.locator("#calendar-title")
    for _ in range(14):
        if title.inner_text() == f"December {christmas.year}":
            break
        page.get_by_role("button", name="Next month").click()
    expect(title).to_have_text(f"December {christmas.year}")
    grid = page.get_by_role("grid", name=f"December {christmas.year}")
    eve = grid.locator(f'[data-date="{christmas.year}-12-24"]')
    expect(eve).to_contain_text("1 planned run")
    day = grid.get_by_role("gridcell", name=re.compile(r"25 December"))
    expect(day).to_contain_text(re.compile(r"1 skipped; Christmas Day \(Germany\)"))
    eve.click()
    page.keyboard.press("ArrowRight")
    expect(day).to_be_focused()
    page.keyboard.press("Enter")
    detail = page.locator("#calendar-day")
    expect(detail).to_contain_text("Excluded by Germany: Christmas Day")
    expect(detail).to_contain_text("skipped: calendar: Germany")
    expect(detail.get_by_role("link", name="Christmas report")).to_be_visible()
    shot("calendar-december")

    # The job's own calendar, and a delete refused while the job uses the calendar.
    page.get_by_role("link", name="Christmas report").click()
    expect(page.get_by_role("heading", name="Calendar", exact=True)).to_be_visible()
    page.goto("/calendars")
    page.get_by_role("button", name="Delete Germany").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator("#calendars-alert")).to_contain_text("Christmas report")
    console_errors.clear()  # the refused delete, logged by the browser

    # On a phone the month still fits the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/calendar")
    page.get_by_role("grid").wait_for()
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"/calendar scrolls sideways by {overflow}px"
    shot("phone-calendar")
    assert console_errors == []
