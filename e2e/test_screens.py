"""Every main page at desktop and phone width: no accessibility violations (axe-core), no sideways
scrolling on a phone, and a screenshot of each in test-artifacts/screenshots/."""
from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from .conftest import axe_violations, unique_email

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def no_sideways_scroll(page: Page, path: str) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"


@pytest.mark.parametrize("size", list(WIDTHS))
def test_every_page_is_accessible_and_fits(page: Page, api, live_server: str, receiver, shot, size: str) -> None:
    page.set_viewport_size(WIDTHS[size])
    # Signed out: the two doors in.
    for path, heading, name in [("/sign-in", "Sign in to Chronos", "sign-in"),
                                ("/register", "Create your account", "register")]:
        page.goto(path)
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        no_sideways_scroll(page, path)
        shot(f"{size}-{name}")

    # A first visit, then a user with a job that ran.
    email = unique_email(f"screens-{size}")
    page.goto("/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("region", name="Create your first job")).to_be_visible()
    no_sideways_scroll(page, "/ (first visit)")
    shot(f"{size}-dashboard-first-visit")

    token = api.token(email)
    job = api.create_job(token, name="Nightly report for the whole team", schedule_type="cron",
                         cron_expression="30 6 * * 1-5", timezone="America/New_York", handler="http",
                         target={"url": f"{receiver.url}/report", "method": "POST"})
    execution = httpx.post(f"{live_server}/api/v1/jobs/{job['id']}/execute",
                           headers={"Authorization": f"Bearer {token}"}).json()
    receiver.wait_for_requests(1)

    pages = [
        ("/", "Dashboard", "dashboard"),
        ("/jobs", "Jobs", "jobs"),
        ("/jobs/new", "New job", "job-editor"),
        (f"/jobs/{job['id']}", "Nightly report for the whole team", "job-detail"),
        (f"/jobs/{job['id']}/edit", "Edit “Nightly report for the whole team”", "job-editor-edit"),
        (f"/executions/{execution['id']}", f"Execution #{execution['id']}", "execution"),
        ("/system", "Scheduler health", "health"),
        ("/no/such/page", "Page not found", "not-found"),
    ]
    for path, heading, name in pages:
        page.goto(path)
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        if name == "execution":
            expect(page.get_by_role("heading", name="Attempt 1")).to_be_visible(timeout=15_000)
        no_sideways_scroll(page, path)
        shot(f"{size}-{name}")
    # The editor with "Advanced" open and a test run's outcome is checked too.
    page.goto(f"/jobs/{job['id']}/edit")
    page.get_by_text("Advanced", exact=True).click()
    page.get_by_role("button", name="Test run").click()
    expect(page.get_by_text("Test run succeeded · HTTP 200")).to_be_visible(timeout=15_000)
    no_sideways_scroll(page, "/jobs/{id}/edit (advanced, test run)")
    shot(f"{size}-job-editor-advanced")


def test_the_accessibility_check_can_fail(page: Page, signed_in: str) -> None:
    """An image without a text alternative is caught: the check above is not vacuous."""
    page.goto("/jobs")
    expect(page.get_by_role("heading", name="Jobs")).to_be_visible()
    assert axe_violations(page) == []
    page.evaluate("() => document.querySelector('main').append(Object.assign(document.createElement('img'), "
                  "{src: '/favicon.svg'}))")
    assert any(line.startswith("image-alt") for line in axe_violations(page))
