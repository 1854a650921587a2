"""History kept: the dashboard says what is kept and where the rule comes from; a job's own rule is set
in the editor, a workspace's in its Settings (owners; the others see it and why they cannot change it)."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from .conftest import unique_email


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
    expect(page.locator("#retention-note")).to_have_text(
        "History is kept 30 days; failures 90 days (the instance default)."
    )
    page.goto("/jobs")
    page.get_by_role("link", name="Chatty heartbeat").click()
    page.get_by_role("link", name="Edit").click()
    page.get_by_text("Advanced", exact=True).click()
    page.get_by_label("Keep at most (runs)").fill("100")
    page.get_by_role("button", name="Save changes").click()
    page.goto("/")
    expect(page.locator("#retention-note")).to_have_text(
        "History is kept 30 days; failures 90 days (the instance default). 1 job has its own rule."
    )


def test_an_owner_sets_the_workspaces_retention_and_a_viewer_sees_why_they_cannot(
    page: Page, live_server: str, signed_in: str, api, shot
) -> None:
    token = api.token(signed_in)
    headers = {"Authorization": f"Bearer {token}"}
    mine = httpx.get(f"{live_server}/api/v1/workspaces", headers=headers).json()["items"][0]
    job = {"name": "Heartbeat", "schedule_type": "interval", "interval_seconds": 60}
    api.create_job(token, **job)  # the dashboard's note comes with its numbers, once there is a job

    page.goto(f"/workspaces/{mine['id']}/settings")
    form = page.get_by_role("region", name="History retention")
    expect(form.get_by_label("Keep history for (days)")).to_have_value("")
    form.get_by_label("Keep history for (days)").fill("7.5")
    form.get_by_role("button", name="Save retention").click()
    expect(
        form.get_by_text("Enter a whole number of days from 0 to 3650, or leave it empty.")
    ).to_be_visible()
    form.get_by_label("Keep history for (days)").fill("7")
    form.get_by_role("button", name="Save retention").click()
    expect(page.get_by_text("History retention saved.")).to_be_visible()
    expect(
        page.get_by_role("region", name="History retention").get_by_label("Keep history for (days)")
    ).to_have_value("7")
    shot("workspace-retention-owner")
    page.goto("/")
    expect(page.locator("#retention-note")).to_have_text(
        "History is kept 7 days (set for this workspace); failures 90 days (the instance default)."
    )

    # In someone else's workspace, as a viewer: the numbers, disabled, and who may change them.
    owner = unique_email("owner")
    api.register(owner)
    owner_headers = {"Authorization": f"Bearer {api.token(owner)}"}
    team = httpx.post(
        f"{live_server}/api/v1/workspaces", headers=owner_headers, json={"name": "Keepers"}
    ).json()
    set_days = httpx.patch(
        f"{live_server}/api/v1/workspaces/{team['id']}",
        headers=owner_headers,
        json={"retention_failed_days": 365},
    )
    assert set_days.status_code == 200, set_days.text
    in_team = {**owner_headers, "X-Chronos-Workspace": str(team["id"])}
    assert httpx.post(f"{live_server}/api/v1/jobs", headers=in_team, json=job).status_code == 201
    invitation = httpx.post(
        f"{live_server}/api/v1/workspaces/{team['id']}/invitations",
        headers=owner_headers,
        json={"email": signed_in, "role": "viewer"},
    ).json()
    accepted = httpx.post(f"{live_server}/api/v1/invitations/{invitation['token']}/accept", headers=headers)
    assert accepted.status_code == 200, accepted.text

    page.goto(f"/workspaces/{team['id']}/settings")
    form = page.get_by_role("region", name="History retention")
    expect(form.get_by_text("Only owners can change how long history is kept.")).to_be_visible()
    expect(form.get_by_label("Keep history for (days)")).to_be_disabled()
    expect(form.get_by_label("Keep failures at least (days)")).to_be_disabled()
    expect(form.get_by_label("Keep failures at least (days)")).to_have_value("365")
    expect(form.get_by_role("button", name="Save retention")).to_be_disabled()
    shot("workspace-retention-viewer")
    page.goto("/")
    expect(page.locator("#retention-note")).to_have_text(
        "History is kept 30 days (the instance default); failures 365 days (set for this workspace)."
    )
