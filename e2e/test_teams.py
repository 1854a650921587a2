"""Issue 12's stories in a real browser against the real stack: a shared workspace, roles, API keys,
the audit log and a job's history.

A invites B (copies the link) → B creates an account from the link, accepts, is in the shared
workspace as viewer, sees A's job and cannot change it; A pauses it and the audit log says who; A
restores an older version from the History tab. A creates an API key, a script uses it over HTTP,
A revokes it and the next call is refused. The new pages pass axe-core and fit a phone.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, expect

from .conftest import PASSWORD, axe_violations, unique_email

PHONE = {"width": 390, "height": 844}


def workspaces(live_server: str, token: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{live_server}/api/v1/workspaces", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def switch_workspace(page: Page, name: str) -> None:
    """Choose a workspace (or "+ New workspace…") in the top bar's switcher."""
    page.get_by_role("button", name=re.compile(r"^Workspace:")).click()
    page.locator("#workspace-menu").get_by_role("button", name=name).click()


def current_workspace(page: Page):
    """The switcher's button, which names the current workspace and the caller's role there."""
    return page.get_by_role("button", name=re.compile(r"^Workspace:"))


def no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def test_an_invited_viewer_sees_the_shared_job_cannot_change_it_and_the_audit_and_history_tell_the_story(
    page: Page, browser: Browser, live_server: str, signed_in: str, api, shot, console_errors: list[str]
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    owner_email = signed_in

    # A creates a shared workspace from the switcher, and is its owner.
    switch_workspace(page, "+ New workspace…")
    dialog = page.get_by_role("dialog", name="New workspace")
    dialog.get_by_label("Name").fill("Ops team")
    dialog.get_by_role("button", name="Create workspace").click()
    expect(current_workspace(page)).to_have_accessible_name("Workspace: Ops team · Owner")
    token = api.token(owner_email)
    team = next(w for w in workspaces(live_server, token) if w["name"] == "Ops team")
    assert team["role"] == "owner" and team["personal"] is False

    # A's job in it, created in the app (the workspace acted in is the one chosen in the header).
    page.goto("/jobs/new")
    page.get_by_label("Name").fill("Nightly backup")
    page.get_by_label("Cron expression").fill("0 3 * * *")
    page.get_by_role("button", name="Create job").click()
    expect(page.get_by_role("heading", name="Nightly backup")).to_be_visible()
    job_id = int(page.url.rstrip("/").rsplit("/", 1)[1].split("?")[0])
    in_team = {"Authorization": f"Bearer {token}", "X-Chronos-Workspace": str(team["id"])}
    assert httpx.get(f"{live_server}/api/v1/jobs/{job_id}", headers=in_team).status_code == 200
    # ... and not in A's personal workspace.
    personal = httpx.get(f"{live_server}/api/v1/jobs/{job_id}", headers={"Authorization": f"Bearer {token}"})
    assert personal.status_code == 404

    # A invites B as viewer and copies the link.
    page.get_by_role("link", name="Settings of workspace Ops team").click()
    expect(page.get_by_role("heading", name="Ops team", level=1)).to_be_visible()
    viewer_email = unique_email("viewer")
    page.get_by_label("E-mail").fill(viewer_email)
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Invite", exact=True).click()
    link = page.locator("#invite-link")
    expect(link).to_have_text(re.compile(rf"^{re.escape(live_server)}/invitations/\S+$"))
    page.get_by_role("button", name="Copy invitation link").click()
    expect(page.get_by_text("Copied the invitation link.")).to_be_visible()
    accept_url = page.evaluate("() => navigator.clipboard.readText()")
    assert accept_url == link.inner_text()
    expect(page.get_by_role("table", name="Pending invitations")).to_contain_text(viewer_email)
    shot("workspace-members")

    # B opens the link, creates an account (it brings them back), accepts.
    context = browser.new_context(base_url=live_server, timezone_id="Europe/Berlin", locale="en-GB")
    try:
        guest = context.new_page()
        guest.goto(accept_url)
        expect(guest.get_by_role("heading", name="You are invited to a workspace")).to_be_visible()
        guest.wait_for_load_state("networkidle")
        assert axe_violations(guest) == []
        guest.get_by_role("link", name="Create an account").click()
        guest.get_by_label("Email").fill(viewer_email)
        guest.get_by_label("Password").fill(PASSWORD)
        guest.get_by_role("button", name="Create account").click()
        expect(guest.get_by_role("heading", name="Join “Ops team”")).to_be_visible()
        expect(guest.get_by_text("You are invited as viewer")).to_be_visible()
        assert guest.evaluate("() => location.pathname") == accept_url.split(live_server, 1)[1]
        guest.get_by_role("button", name="Accept invitation").click()

        # In the shared workspace as viewer: A's job is there, with no control that would fail.
        expect(guest.get_by_role("heading", name="Jobs")).to_be_visible()
        expect(current_workspace(guest)).to_have_accessible_name("Workspace: Ops team · Viewer")
        row = guest.get_by_role("row").filter(has_text="Nightly backup")
        expect(row).to_contain_text("View only")
        expect(guest.get_by_text("Editors and above can edit jobs.")).to_be_visible()
        expect(guest.get_by_role("link", name="New job")).to_have_count(0)
        expect(guest.locator("main")).not_to_contain_text("null")
        row.get_by_role("link", name="Nightly backup").click()
        expect(guest.get_by_role("heading", name="Nightly backup")).to_be_visible()
        for name in ("Edit", "Pause", "Run now", "Delete"):
            expect(guest.get_by_role("button", name=name, exact=True)).to_have_count(0)
            expect(guest.get_by_role("link", name=name, exact=True)).to_have_count(0)
        expect(guest.get_by_text("Editors and above can edit jobs.")).to_be_visible()
        # The job page's backfill, the limits and the calendars pages say why instead of a form.
        expect(guest.get_by_text("Editors and above can backfill jobs.")).to_be_visible()
        expect(guest.get_by_role("button", name="Start backfill")).to_have_count(0)
        guest.wait_for_load_state("networkidle")
        assert axe_violations(guest) == []
        guest.goto("/concurrency-limits")
        expect(guest.get_by_text("Editors and above can set concurrency limits.")).to_be_visible()
        expect(guest.get_by_role("button", name="Save limit")).to_have_count(0)
        guest.goto("/calendars")
        expect(guest.get_by_text("Editors and above can manage holiday calendars.")).to_be_visible()
        guest.goto(f"/jobs/{job_id}/edit")
        expect(guest.get_by_text("Editors and above can edit jobs.")).to_be_visible()
        expect(guest.get_by_role("button", name="Save changes")).to_have_count(0)
        # The server refuses too, naming the role.
        viewer_token = api.token(viewer_email)
        refused = httpx.post(
            f"{live_server}/api/v1/jobs/{job_id}/pause",
            headers={"Authorization": f"Bearer {viewer_token}", "X-Chronos-Workspace": str(team["id"])},
        )
        assert refused.status_code == 403 and "editor" in refused.json()["message"]
        # A viewer sees the members but cannot invite, and is told why.
        guest.goto(f"/workspaces/{team['id']}/members")
        expect(guest.get_by_role("table", name="Members of this workspace")).to_contain_text(owner_email)
        expect(guest.get_by_text("Admins and above can invite and manage members.")).to_be_visible()
        guest.goto(f"/workspaces/{team['id']}/audit")
        expect(guest.get_by_text("Admins and above can read the audit log.")).to_be_visible()
    finally:
        context.close()

    # B is a member now; the invitation is no longer pending. A makes B an editor.
    page.reload()
    expect(page.get_by_role("table", name="Members of this workspace")).to_contain_text(viewer_email)
    expect(page.get_by_text("No pending invitations.")).to_be_visible()
    page.get_by_label(f"Role of {viewer_email}").select_option("editor")
    expect(page.get_by_text(f"{viewer_email} is now an editor.")).to_be_visible()
    members = httpx.get(f"{live_server}/api/v1/workspaces/{team['id']}/members", headers=in_team).json()[
        "items"
    ]
    assert {m["email"]: m["role"] for m in members}[viewer_email] == "editor"

    # A pauses the job; the audit log says who.
    page.goto(f"/jobs/{job_id}")
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.locator(".page-head .badge")).to_have_text("paused")
    page.goto(f"/workspaces/{team['id']}/audit")
    page.get_by_label("Action").select_option("job.paused")
    paused = (
        page.get_by_role("table", name="Audit log, newest first")
        .get_by_role("row")
        .filter(has_text="job.paused")
    )
    expect(paused).to_have_count(1)
    expect(paused).to_contain_text(owner_email)
    expect(paused).to_contain_text(f"Job #{job_id}")
    page.get_by_label("Action").select_option("")
    audit_table = page.get_by_role("table", name="Audit log, newest first")
    expect(audit_table).to_contain_text("member.joined")
    expect(audit_table.get_by_role("row").filter(has_text="member.role_changed")).to_contain_text(
        "viewer → editor"
    )
    shot("workspace-audit")

    # The job is renamed; its History tab shows the change, and version 1 comes back with Restore.
    page.goto(f"/jobs/{job_id}/edit")
    page.get_by_label("Name").fill("Nightly backup (v2)")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="Nightly backup (v2)")).to_be_visible()
    page.get_by_role("link", name="History").click()
    versions = page.locator(".version")
    expect(versions.first).to_contain_text("current")
    renamed = versions.filter(has=page.get_by_role("row", name=re.compile("Name")))
    expect(renamed.first.get_by_role("row", name=re.compile("^Name"))).to_contain_text("Nightly backup")
    expect(renamed.first.locator("ins")).to_contain_text("Nightly backup (v2)")
    expect(renamed.first).to_contain_text(owner_email)
    shot("job-history")
    page.get_by_role("link", name="View version 1").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Version 1 of"))).to_be_visible()
    expect(page.get_by_role("region", name="Definition")).to_contain_text("Nightly backup")
    shot("job-version")
    page.get_by_role("button", name="Restore this version").click()
    page.get_by_role("dialog").get_by_role("button", name="Restore version").click()
    expect(page.get_by_text(re.compile(r"Restored version 1 as version \d+"))).to_be_visible()
    restored = httpx.get(f"{live_server}/api/v1/jobs/{job_id}", headers=in_team).json()
    assert restored["name"] == "Nightly backup"
    page.goto(f"/jobs/{job_id}")
    expect(page.get_by_role("heading", name="Nightly backup", exact=True)).to_be_visible()

    # A run links to the version of the job it ran.
    run = httpx.post(f"{live_server}/api/v1/jobs/{job_id}/execute", headers=in_team)
    assert run.status_code in (201, 202), run.text
    page.goto(f"/executions/{run.json()['id']}")
    version_link = page.get_by_role("link", name=f"Version {restored['version']}")
    expect(version_link).to_have_attribute("href", f"/jobs/{job_id}/versions/{restored['version']}")
    assert console_errors == []


def test_an_api_key_works_over_http_until_it_is_revoked(
    page: Page, live_server: str, signed_in: str, shot
) -> None:
    page.get_by_role("link", name="Settings of your personal workspace").click()
    page.get_by_role("navigation", name="Workspace settings").get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("CI deploys")
    page.get_by_label("Role").select_option("editor")
    page.get_by_role("button", name="Create key").click()
    callout = page.get_by_role("region", name=re.compile("API key “CI deploys” — shown only once"))
    expect(callout).to_contain_text("you won’t see it again")
    key = page.locator("#new-api-key").inner_text()
    assert key.startswith("chr_") and len(key) >= 36
    keys = page.get_by_role("table", name="API keys of this workspace")
    row = keys.get_by_role("row").filter(has_text="CI deploys")
    expect(row).to_contain_text(key[:12])
    expect(row).not_to_contain_text(key)
    expect(row).to_contain_text("Never")
    shot("workspace-api-keys")

    # A script uses the key: it lists and creates jobs in the workspace.
    headers = {"Authorization": f"Bearer {key}"}
    listed = httpx.get(f"{live_server}/api/v1/jobs", headers=headers)
    assert listed.status_code == 200, listed.text
    created = httpx.post(
        f"{live_server}/api/v1/jobs",
        headers=headers,
        json={"name": "Made by CI", "schedule_type": "interval", "interval_seconds": 3600, "timezone": "UTC"},
    )
    assert created.status_code == 201, created.text
    page.goto("/jobs")
    expect(page.get_by_role("link", name="Made by CI")).to_be_visible()
    page.go_back()
    expect(row).not_to_contain_text("Never used")
    expect(row.locator("td[data-label='Last used']")).not_to_have_text("Never")

    # Revoked: the next call is refused.
    row.get_by_role("button", name="Revoke CI deploys").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke key").click()
    expect(page.get_by_text("No API keys yet.")).to_be_visible()
    assert httpx.get(f"{live_server}/api/v1/jobs", headers=headers).status_code == 401


def test_workspace_pages_fit_a_phone(page: Page, live_server: str, signed_in: str, api, shot) -> None:
    token = api.token(signed_in)
    home = workspaces(live_server, token)[0]
    job = api.create_job(
        token,
        name="A job with a fairly long name to wrap",
        schedule_type="interval",
        interval_seconds=60,
        timezone="UTC",
    )
    httpx.patch(
        f"{live_server}/api/v1/jobs/{job['id']}",
        headers={"Authorization": f"Bearer {token}"},
        json={"interval_seconds": 120, "description": "now every two minutes"},
    )
    page.set_viewport_size(PHONE)
    for path, name in [
        (f"/workspaces/{home['id']}/members", "phone-workspace-members"),
        (f"/workspaces/{home['id']}/api-keys", "phone-workspace-api-keys"),
        (f"/workspaces/{home['id']}/audit", "phone-workspace-audit"),
        (f"/workspaces/{home['id']}/settings", "phone-workspace-settings"),
        (f"/jobs/{job['id']}/history", "phone-job-history"),
    ]:
        page.goto(path)
        page.get_by_role("heading", level=1).wait_for()
        page.wait_for_load_state("networkidle")
        no_sideways_scroll(page)
        shot(name)


def test_a_workspace_that_is_gone_falls_back_to_the_personal_one(
    page: Page, live_server: str, signed_in: str, api
) -> None:
    token = api.token(signed_in)
    headers = {"Authorization": f"Bearer {token}"}
    created = httpx.post(f"{live_server}/api/v1/workspaces", headers=headers, json={"name": "Short-lived"})
    assert created.status_code == 201, created.text
    page.reload()
    # The switcher works from the keyboard: Enter opens it on the current workspace, Escape closes it.
    menu = page.locator("#workspace-menu")
    current_workspace(page).focus()
    page.keyboard.press("Enter")
    expect(menu.locator("[aria-current='true']")).to_be_focused()
    expect(menu.locator("[aria-current='true']")).to_have_text("Personal workspace · Owner")
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(current_workspace(page)).to_be_focused()
    switch_workspace(page, "Short-lived · Owner")
    expect(page.get_by_text("Now in “Short-lived” (owner).")).to_be_visible()

    # Deleted elsewhere (another tab, another owner): the next request finds it gone.
    deleted = httpx.delete(f"{live_server}/api/v1/workspaces/{created.json()['id']}", headers=headers)
    assert deleted.status_code == 204, deleted.text
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Jobs").click()
    expect(page.get_by_text("You are no longer a member of that workspace")).to_be_visible()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(current_workspace(page)).to_have_accessible_name("Workspace: Personal workspace · Owner")
    expect(page.locator("#workspace-menu")).not_to_contain_text("Short-lived")
    # ... and the choice is forgotten, not tried again on the next visit.
    page.reload()
    expect(current_workspace(page)).to_have_accessible_name("Workspace: Personal workspace · Owner")


def test_a_member_leaves_a_shared_workspace(page: Page, live_server: str, signed_in: str, api, shot) -> None:
    # An owner elsewhere invites this user as editor (through the API: the story is about leaving).
    owner = unique_email("owner")
    api.register(owner)
    owner_headers = {"Authorization": f"Bearer {api.token(owner)}"}
    team = httpx.post(
        f"{live_server}/api/v1/workspaces", headers=owner_headers, json={"name": "Data team"}
    ).json()
    invitation = httpx.post(
        f"{live_server}/api/v1/workspaces/{team['id']}/invitations",
        headers=owner_headers,
        json={"email": signed_in, "role": "editor"},
    ).json()

    # The invitation page on a phone: which workspace, which role, Accept.
    page.set_viewport_size(PHONE)
    page.goto(invitation["accept_url"].split(live_server, 1)[1])
    expect(page.get_by_role("heading", name="Join “Data team”")).to_be_visible()
    no_sideways_scroll(page)
    shot("phone-invitation")
    page.get_by_role("button", name="Accept invitation").click()
    expect(page.get_by_text("You joined “Data team” as editor.")).to_be_visible()
    expect(current_workspace(page)).to_have_accessible_name("Workspace: Data team · Editor")
    # An editor may create jobs but not manage members or keys.
    expect(page.get_by_role("link", name="New job").first).to_be_visible()
    page.goto(f"/workspaces/{team['id']}/api-keys")
    expect(page.get_by_text("Admins and above can manage API keys.")).to_be_visible()

    page.get_by_role("navigation", name="Workspace settings").get_by_role("link", name="Members").click()
    page.get_by_role("button", name="Leave workspace").click()
    page.get_by_role("dialog").get_by_role("button", name="Leave workspace").click()
    expect(page.get_by_text("You left “Data team”.")).to_be_visible()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator("#workspace-menu")).not_to_contain_text("Data team")
    members = httpx.get(f"{live_server}/api/v1/workspaces/{team['id']}/members", headers=owner_headers).json()
    assert [m["email"] for m in members["items"]] == [owner]
