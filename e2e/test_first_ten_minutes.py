"""Issue 15, items 1–7: what a new user stumbled on in the first ten minutes, one story each.

The browser is in Berlin with a British locale (browser_context_args), unless a story says otherwise.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Browser, Page, expect

from .conftest import PASSWORD, unique_email

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def next_monday_nine_in_new_york() -> datetime:
    now = datetime.now(NEW_YORK)
    day = now.replace(hour=9, minute=0, second=0, microsecond=0)
    while day.weekday() != 0 or day <= now:
        day = (day + timedelta(days=1)).replace(hour=9, minute=0)
    return day


def sign_in(page: Page, email: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


# --- 1. Times are written one way -----------------------------------------------------------------

def test_1_a_new_york_job_reads_the_same_everywhere_with_my_own_time_beside_it(
        page: Page, signed_in: str, api, browser: Browser, live_server: str) -> None:
    token = api.token(signed_in)
    job = api.create_job(token, name="Standup", schedule_type="cron", cron_expression="0 9 * * 1",
                         timezone="America/New_York")
    first = next_monday_nine_in_new_york()
    zone = first.tzname()  # EST or EDT
    mine = first.astimezone(BERLIN).strftime("%H:%M")

    # The list: the zone by its IANA name and abbreviation, the run in its zone and in mine.
    page.goto("/jobs")
    row = page.get_by_role("row").filter(has_text="Standup")
    expect(row).to_contain_text(f"America/New_York ({zone})")
    expect(row).to_contain_text(re.compile(rf"09:00 {zone}\s*· {mine} your time"))
    for wrong in ("America/New York", "GMT-5", "GMT-4", " AM", " PM"):
        expect(row).not_to_contain_text(wrong)

    # The job page says it the same way.
    row.get_by_role("link", name="Standup").click()
    settings = page.get_by_role("region", name="Settings")
    expect(settings).to_contain_text(f"America/New_York ({zone})")
    expect(settings).to_contain_text(re.compile(rf"\d{{1,2}} \w{{3}} \d{{4}}, 09:00 {zone}\s*· {mine} your time"))

    # The editor's next runs too, in the job's zone with mine beside them.
    page.goto(f"/jobs/{job['id']}/edit")
    runs = page.get_by_role("list", name="Next five runs").get_by_role("listitem")
    expect(runs).to_have_count(5)
    expect(runs.first).to_contain_text(re.compile(rf"^Mon, .* 09:00 {zone}\s*· {mine} your time"))
    expect(page.get_by_text(re.compile(r"read in America/New_York \((EST|EDT)\).*Your zone is Europe/Berlin"))) \
        .to_be_visible()

    # An American browser gets its own clock and date order, and the same zone names.
    context = browser.new_context(base_url=live_server, locale="en-US", timezone_id="Europe/Berlin")
    try:
        us = context.new_page()
        sign_in(us, signed_in)
        us.goto("/jobs")
        us_row = us.get_by_role("row").filter(has_text="Standup")
        twelve = first.astimezone(BERLIN).strftime("%-I:%M %p")
        expect(us_row).to_contain_text(re.compile(rf"\w{{3}} \d{{1,2}}, \d{{4}}, 9:00 AM {zone}\s*· {twelve} your time"))
        expect(us_row).to_contain_text(f"America/New_York ({zone})")
    finally:
        context.close()


# --- 2. The cron error names the part and stays until it is fixed --------------------------------

def test_2_a_bad_hour_is_named_and_the_error_survives_a_save_that_fails_on_the_url(page: Page, signed_in: str) -> None:
    page.goto("/jobs/new")
    page.get_by_label("Name").fill("Nightly")
    page.get_by_label("Action").select_option("http")
    expression = page.get_by_label("Cron expression")
    expression.fill("0 25 * * *")
    cron_error = page.locator("#cron-expression-error")
    expect(expression).to_have_accessible_description(re.compile(r"hour: 25 is out of range 0–23\."))

    # Saved with an empty URL: both errors, each next to its field.
    page.get_by_role("button", name="Create job").click()
    url = page.get_by_label("URL")
    expect(url).to_have_accessible_description(re.compile("Enter the URL to call"))
    expect(expression).to_have_accessible_description(re.compile(r"hour: 25 is out of range 0–23\."))

    # The URL fixed, saved again: the cron error is still there; the URL's is gone.
    url.fill("http://127.0.0.1:9/nightly")
    page.get_by_role("button", name="Create job").click()
    expect(cron_error).to_have_text("hour: 25 is out of range 0–23.")
    expect(url).not_to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(re.compile(r"/jobs/new$"))

    # The wrong day name is named too; fixing the expression clears it and the job saves.
    expression.fill("0 9 * * MOX")
    expect(cron_error).to_have_text("day-of-week: 'MOX' is not a day name (SUN–SAT).")
    expression.fill("0 23 * * *")
    expect(cron_error).to_have_count(0)
    page.get_by_role("button", name="Create job").click()
    expect(page.get_by_role("heading", name="Nightly")).to_be_visible()


# --- 3. The signing secret: only for HTTP jobs, calm, dismissible ---------------------------------

def test_3_the_signing_secret_is_shown_only_for_http_jobs_and_can_be_dismissed(page: Page, signed_in: str,
                                                                               receiver) -> None:
    # A job that makes no HTTP call: no secret at all.
    page.goto("/jobs/new")
    page.get_by_label("Name").fill("Just a log line")
    page.get_by_role("button", name="Create job").click()
    expect(page.get_by_role("heading", name="Just a log line")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Signing secret"))).to_have_count(0)
    expect(page.get_by_role("button", name="Rotate signing secret")).to_have_count(0)

    # An HTTP job: the secret, once, without pushing the history out of sight.
    page.goto("/jobs/new")
    page.get_by_label("Name").fill("Calls a hook")
    page.get_by_label("Action").select_option("http")
    page.get_by_label("URL").fill(f"{receiver.url}/hook")
    page.get_by_role("button", name="Create job").click()
    secret = page.get_by_role("region", name="Signing secret — shown only once")
    expect(secret).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    history = page.get_by_role("heading", name="Execution history")
    assert history.bounding_box()["y"] < page.viewport_size["height"], "the history is below the fold"

    secret.get_by_role("button", name="Dismiss").click()
    expect(secret).to_have_count(0)
    # Rotating always shows a new one.
    page.get_by_role("button", name="Rotate signing secret").click()
    page.get_by_role("dialog", name="Rotate the signing secret?").get_by_role("button", name="Rotate secret").click()
    expect(page.get_by_role("region", name="Signing secret — shown only once")).to_be_visible()
    assert len(page.get_by_role("region", name="Signing secret — shown only once").locator("code").inner_text()) >= 20


# --- 4. The editor: basics first, Advanced folded, save in reach, a test run before saving --------

def test_4_the_editor_folds_advanced_keeps_save_in_reach_and_test_runs_the_action(page: Page, signed_in: str,
                                                                                  receiver) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/jobs/new")
    # The basics: name, when, what. The rest is folded away.
    expect(page.get_by_label("Name")).to_be_visible()
    expect(page.get_by_label("Action")).to_have_value("log")
    expect(page.get_by_label("Max retries")).to_be_hidden()
    expect(page.get_by_label("Recipients")).to_be_hidden()
    # The save button is on screen without scrolling, even on a phone.
    save = page.get_by_role("button", name="Create job")
    box = save.bounding_box()
    assert box and box["y"] + box["height"] <= 844, box
    page.get_by_text("Advanced", exact=True).click()
    expect(page.get_by_label("Max retries")).to_be_visible()
    expect(page.get_by_label("If the previous run is still going")).to_be_visible()

    # Try the default action before saving: a worker runs it and the outcome shows here.
    page.get_by_label("Name").fill("First try")
    page.get_by_label("Payload (JSON)").fill('{"hello": "from the editor"}')
    page.get_by_role("button", name="Test run").click()
    outcome = page.locator("#test-run-outcome")
    expect(outcome).to_contain_text("Test run succeeded", timeout=15_000)
    expect(page.get_by_role("list", name="Test run log")).to_contain_text("Job 'First try' fired (test).")

    # An HTTP call: made by the worker, to the receiver, marked as a test.
    page.get_by_label("Action").select_option("http")
    page.get_by_label("URL").fill(f"{receiver.url}/try")
    page.get_by_role("button", name="Test run").click()
    expect(outcome).to_contain_text(re.compile(r"Test run succeeded · HTTP 200"), timeout=15_000)
    [call] = receiver.wait_for_requests(1)
    assert call.path == "/try" and call.headers["X-Chronos-Execution-Id"] == "0"

    # Nothing was saved by trying; saving needs one click, from where the user is.
    page.get_by_label("Action").select_option("log")
    save.click()
    expect(page.get_by_role("heading", name="First try")).to_be_visible()


# --- 5. Failure e-mail with no recipients goes to the owner, and says so --------------------------

def test_5_with_no_recipients_the_failure_email_goes_to_me_and_both_pages_say_so(page: Page, signed_in: str) -> None:
    page.goto("/jobs/new")
    page.get_by_label("Name").fill("Quiet job")
    page.get_by_text("Advanced", exact=True).click()
    expect(page.get_by_label("E-mail when a run finally fails")).to_be_checked()
    expect(page.get_by_label("Recipients")).to_have_accessible_description(
        f"With no addresses, the e-mail goes to you, {signed_in}. Add addresses to tell others instead.")
    page.get_by_label("E-mail when a run finally fails").uncheck()
    expect(page.get_by_label("Recipients")).to_have_accessible_description("Nobody will be e-mailed when a run fails.")
    page.get_by_label("E-mail when a run finally fails").check()
    page.get_by_role("button", name="Create job").click()

    settings = page.get_by_role("region", name="Settings")
    expect(settings).to_contain_text(f"E-mail you ({signed_in})")
    expect(settings).not_to_contain_text("No e-mail")


# --- 6. The first visit: signed in after registering, an empty state with templates ---------------

def test_6_registering_signs_in_and_offers_a_first_job_from_a_template(page: Page) -> None:
    email = unique_email("first")
    page.goto("/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    # No second password prompt: straight to the dashboard, signed in.
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text(email)).to_be_visible()
    first_job = page.get_by_role("region", name="Create your first job")
    expect(first_job).to_be_visible()
    expect(first_job.get_by_role("link")).to_have_count(4)  # three templates and a blank job
    # No zeros and no chart with a raw legend on a first visit.
    expect(page.get_by_text("Time", exact=True)).to_have_count(0)
    expect(page.get_by_text("--", exact=True)).to_have_count(0)
    expect(page.get_by_role("img", name=re.compile("Runs per hour"))).to_have_count(0)

    first_job.get_by_role("link", name=re.compile("A daily report at 09:00")).click()
    expect(page.get_by_role("heading", name="New job")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Daily report")
    expect(page.get_by_label("Cron expression")).to_have_value("0 9 * * *")
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Berlin")
    expect(page.get_by_label("Action")).to_have_value("log")
    page.get_by_role("button", name="Create job").click()
    expect(page.get_by_role("heading", name="Daily report")).to_be_visible()
    expect(page.get_by_text("At 09:00", exact=False).first).to_be_visible()

    # With a job but no runs yet, the dashboard says so in words, not with an empty chart.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_text("No runs in the last 24 hours.")).to_be_visible()
    expect(page.get_by_role("region", name="Create your first job")).to_have_count(0)

    # The other templates open prefilled too.
    page.goto("/jobs/new?template=heartbeat")
    expect(page.get_by_label("Cron expression")).to_have_value("* * * * *")
    page.goto("/jobs/new?template=reminder")
    expect(page.get_by_label("One time")).to_be_checked()
    expect(page.get_by_label("Run at")).not_to_have_value("")


# --- 7. Toasts: few, short-lived, cleared on navigation, never over the content -------------------

def test_7_toasts_are_few_short_lived_page_bound_and_an_error_replaces_a_stale_success(
        page: Page, signed_in: str, api, live_server: str) -> None:
    token = api.token(signed_in)
    job = api.create_job(token, name="Toasty", schedule_type="cron", cron_expression="0 0 1 1 *")
    page.goto("/jobs")
    row = page.get_by_role("row").filter(has_text="Toasty")
    toasts = page.get_by_role("status")

    # Four quick actions: at most three messages at once, all above the page's content, never over it.
    for _ in range(4):
        row.get_by_role("button", name="Run now Toasty").click()
    shown = toasts.get_by_text("Started a run of “Toasty”.")
    expect(shown.first).to_be_visible()
    assert 1 <= shown.count() <= 3
    region, main = toasts.bounding_box(), page.get_by_role("main").bounding_box()
    assert region["height"] > 0 and region["y"] + region["height"] <= main["y"] + 1, (region, main)

    # Gone when the page changes.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(toasts).to_be_empty()

    # A success, then an error: the stale success does not stay above it.
    page.goto("/jobs")
    row.get_by_role("button", name="Pause Toasty").click()
    expect(toasts).to_contain_text("Paused “Toasty”.")
    httpx.delete(f"{live_server}/api/v1/jobs/{job['id']}", headers={"Authorization": f"Bearer {token}"})
    row.get_by_role("button", name="Resume Toasty").click()
    expect(toasts).to_contain_text(f"Job {job['id']} not found.")
    expect(toasts).not_to_contain_text("Paused “Toasty”.")

    # And a success goes by itself after a few seconds.
    page.goto("/jobs/new")
    page.get_by_label("Name").fill("Short-lived")
    page.get_by_role("button", name="Create job").click()
    expect(toasts).to_contain_text("Created “Short-lived”.")
    expect(toasts).not_to_contain_text("Created “Short-lived”.", timeout=8_000)
