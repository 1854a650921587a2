"""History kept: the dashboard says what the instance keeps; a job's own rule is set in the editor."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_the_dashboard_says_what_is_kept_and_a_job_keeps_its_own_rule(page: Page, signed_in: str) -> None:
    page.goto("/jobs/new")
    page.get_by_label("Name").fill("Chatty heartbeat")
    page.get_by_text("Advanced", exact=True).click()
    page.get_by_label("Keep runs for (days)").fill("0")
    page.get_by_role("button", name="Create job").click()
    expect(page.get_by_text("Enter a whole number of at least 1, or leave it empty.")).to_be_visible()
    page.get_by_label("Keep runs for (days)").fill("7")
    page.get_by_label("Keep at most (runs)").fill("500")
    page.get_by_role("button", name="Create job").click()

    settings = page.get_by_role("region", name="Settings")
    expect(settings).to_contain_text("History kept")
    expect(settings).to_contain_text("7 days, at most 500 runs")

    # Editing shows the rule (Advanced opens by itself) and clearing it returns to the default.
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Keep runs for (days)")).to_have_value("7")
    page.get_by_label("Keep runs for (days)").fill("")
    page.get_by_label("Keep at most (runs)").fill("")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("region", name="Settings")).to_contain_text("Default period")

    page.goto("/")
    expect(page.locator("#retention-note")).to_have_text("History is kept 30 days; failures 90 days.")
    page.goto("/jobs")
    page.get_by_role("link", name="Chatty heartbeat").click()
    page.get_by_role("link", name="Edit").click()
    page.get_by_text("Advanced", exact=True).click()
    page.get_by_label("Keep at most (runs)").fill("100")
    page.get_by_role("button", name="Save changes").click()
    page.goto("/")
    expect(page.locator("#retention-note")).to_have_text(
        "History is kept 30 days; failures 90 days. 1 job has its own rule."
    )
