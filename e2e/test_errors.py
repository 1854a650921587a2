"""Bad input is explained where it was typed: a bad cron inline, server-side errors next to their fields."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from .conftest import PASSWORD, unique_email


def test_bad_cron_is_explained_inline_and_by_the_server(page: Page, signed_in: str, shot) -> None:
    page.goto("/jobs/new")
    page.get_by_label("Name").fill("Broken schedule")
    expression = page.get_by_label("Cron expression")

    # Typed by hand: the builder switches to custom mode and the preview explains the problem.
    expression.fill("61 * * * *")
    expect(page.get_by_label("Repeat")).to_have_value("custom")
    expect(expression).to_have_attribute("aria-invalid", "true")
    error = page.locator("#cron-expression-error")
    expect(error).to_have_text("minute: 61 is out of range 0–59.")
    expect(page.get_by_role("list", name="Next five runs").get_by_role("listitem")).to_have_count(0)
    shot("job-editor-bad-cron")

    # Saved anyway: the error stays next to the same field, nothing is stored.
    page.get_by_label("Action").select_option("http")
    page.get_by_label("URL").fill("http://127.0.0.1:9/unused")
    page.get_by_role("button", name="Create job").click()
    expect(page.get_by_role("alert")).to_contain_text("Please fix the highlighted field")
    expect(error).to_contain_text("out of range")
    expect(expression).to_be_focused()
    expect(page).to_have_url(re.compile(r"/jobs/new$"))

    # Fixed: the error goes, the words and the next runs come back, the builder recognises the preset.
    expression.fill("*/5 * * * *")
    expect(expression).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#cron-words")).to_have_text("Every 5 minutes")
    expect(page.get_by_label("Repeat")).to_have_value("minutes")
    expect(page.get_by_label("Every (minutes)")).to_have_value("5")
    expect(page.get_by_role("list", name="Next five runs").get_by_role("listitem")).to_have_count(5)


def test_server_validation_errors_appear_next_to_their_fields(page: Page, signed_in: str, shot) -> None:
    page.goto("/jobs/new")
    page.get_by_label("Name").fill("In the past")
    page.get_by_label("One time").check()
    yesterday = datetime.now(ZoneInfo("Europe/Berlin")) - timedelta(days=1)
    page.get_by_label("Run at").fill(yesterday.strftime("%Y-%m-%dT%H:%M:%S"))
    page.get_by_label("Action").select_option("http")
    page.get_by_label("URL").fill("ftp://127.0.0.1/file")
    page.get_by_text("Advanced", exact=True).click()
    page.get_by_label("Recipients").fill("not-an-address")
    page.get_by_role("button", name="Create job").click()

    # Field checks first: each message next to its field, tied to it for screen readers too.
    url = page.get_by_label("URL")
    expect(url).to_have_attribute("aria-invalid", "true")
    expect(url).to_have_accessible_description(re.compile("Only http:// and https:// URLs are allowed"))
    expect(page.get_by_label("Recipients")).to_have_accessible_description(re.compile("Not a valid email address"))
    shot("job-editor-server-errors")

    # Then the rules about the whole job: a one-time run must be in the future.
    url.fill("http://127.0.0.1:9/unused")
    page.get_by_label("Recipients").fill("")
    page.get_by_role("button", name="Create job").click()
    run_at = page.get_by_label("Run at")
    expect(run_at).to_have_attribute("aria-invalid", "true")
    expect(run_at).to_have_accessible_description(re.compile(r"Must be in the future\."))
    expect(url).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#target-url-error")).to_have_count(0)

    # Nothing was stored.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Jobs").click()
    expect(page.get_by_text("No jobs yet.")).to_be_visible()


def test_sign_in_and_register_errors_are_clear(page: Page, api) -> None:
    email = unique_email("errors")
    api.register(email)

    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Email")).to_have_accessible_description("Enter your email address.")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")

    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill(email.upper())
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_label("Password")).to_have_accessible_description(re.compile("Use at least 8 characters"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_label("Email")).to_have_accessible_description("An account with this email already exists.")


def test_interval_job_with_a_json_payload_is_checked_before_sending(page: Page, signed_in: str) -> None:
    page.goto("/jobs/new")
    page.get_by_label("Name").fill("Heartbeat log")
    page.get_by_label("Every fixed interval").check()
    page.get_by_label("Every", exact=True).fill("2")
    page.get_by_label("Unit").select_option("hours")
    page.get_by_label("Action").select_option("log")
    expect(page.get_by_label("URL")).to_be_hidden()
    page.get_by_label("Payload (JSON)").fill("{note: 'not json'}")
    page.get_by_text("Advanced", exact=True).click()
    page.get_by_label("Retry backoff (seconds)").fill("30, soon")
    page.get_by_role("button", name="Create job").click()
    expect(page.get_by_label("Payload (JSON)")).to_have_accessible_description(re.compile("Not valid JSON"))
    expect(page.locator("#job-backoff-error")).to_contain_text("whole seconds")
    # Reading order decides which field gets focus first.
    expect(page.get_by_label("Payload (JSON)")).to_be_focused()

    page.get_by_label("Payload (JSON)").fill('{"note": "alive"}')
    page.get_by_label("Retry backoff (seconds)").fill("30, 120")
    page.get_by_role("button", name="Create job").click()
    expect(page.get_by_role("heading", name="Heartbeat log")).to_be_visible()
    expect(page.get_by_text("Every 2 hours")).to_be_visible()
    expect(page.get_by_text("3, after 30, 120 s")).to_be_visible()
