"""No console errors, a phone-width layout, keyboard use, and the API docs' own files."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect


def test_main_screens_have_no_console_errors(
    console_errors: list[str], page: Page, signed_in: str, api, receiver
) -> None:
    token = api.token(signed_in)
    job = api.create_job(
        token,
        name="Console check",
        schedule_type="cron",
        cron_expression="0 9 * * 1",
        timezone="Europe/Berlin",
        handler="http",
        target={"url": f"{receiver.url}/c"},
    )
    execution = httpx.post(
        f"{page.url.split('/', 3)[0]}//{page.url.split('/')[2]}/api/v1/jobs/{job['id']}/execute",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    for path, heading in [
        ("/", "Dashboard"),
        ("/jobs", "Jobs"),
        ("/jobs/new", "New job"),
        (f"/jobs/{job['id']}", "Console check"),
        (f"/jobs/{job['id']}/edit", "Edit “Console check”"),
        (f"/executions/{execution['id']}", f"Execution #{execution['id']}"),
    ]:
        page.goto(path)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Attempt 1")).to_be_visible(timeout=15_000)
    page.goto("/jobs/new")
    page.get_by_label("Cron expression").fill("15 8 * * 1-5")
    expect(page.locator("#cron-words")).to_contain_text("08:15")
    assert console_errors == []


def test_phone_width_layout_has_no_sideways_scrolling(page: Page, signed_in: str, api, shot) -> None:
    token = api.token(signed_in)
    api.create_job(
        token,
        name="A job with a fairly long name to wrap on a phone",
        schedule_type="interval",
        interval_seconds=3600,
        timezone="Asia/Kolkata",
    )
    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in [("/", "phone-dashboard"), ("/jobs", "phone-jobs"), ("/jobs/new", "phone-job-editor")]:
        page.goto(path)
        page.get_by_role("heading", level=1).wait_for()
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
        shot(name)
    page.goto("/jobs")
    expect(page.get_by_text("Every hour")).to_be_visible()


def test_editor_is_keyboard_usable(page: Page, signed_in: str) -> None:
    page.goto("/jobs/new")
    page.get_by_label("Name").focus()
    # Tab reaches the schedule type radios, and arrow keys change the choice.
    page.get_by_label("Recurring (cron)").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_label("Every fixed interval")).to_be_checked()
    expect(page.get_by_label("Every", exact=True)).to_be_visible()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_label("One time")).to_be_checked()
    expect(page.get_by_label("Run at")).to_be_visible()
    # The skip link is the first stop and jumps to the content.
    page.goto("/jobs")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # After an in-app navigation, focus moves to the new page's heading.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_focused()


def test_api_docs_page_loads_swagger_ui_from_this_server(live_server: str) -> None:
    docs = httpx.get(f"{live_server}/api/v1/docs")
    assert docs.status_code == 200
    assert "/api-docs/swagger-ui-bundle.js" in docs.text
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        response = httpx.get(f"{live_server}/api-docs/{name}")
        assert response.status_code == 200, name
        assert len(response.content) > 1000


def test_hashed_assets_are_cached_forever_and_client_routes_get_the_shell(live_server: str) -> None:
    shell = httpx.get(f"{live_server}/executions/123456")
    assert shell.status_code == 200 and 'id="main"' in shell.text
    assert shell.headers["cache-control"] == "no-cache"
    script = shell.text.split('src="', 1)[1].split('"', 1)[0]
    assert script.startswith("/assets/")
    asset = httpx.get(f"{live_server}{script}")
    assert asset.status_code == 200
    assert "immutable" in asset.headers["cache-control"]


def test_dark_theme_follows_the_system_setting(page: Page, signed_in: str, shot) -> None:
    page.emulate_media(color_scheme="dark")
    page.goto("/jobs/new")
    page.get_by_role("heading", name="New job").wait_for()
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(x) for x in background[background.index("(") + 1 : -1].split(",")[:3])
    assert red + green + blue < 100, background
    shot("dark-job-editor")


def test_history_pages_through_older_runs(page: Page, signed_in: str, api, live_server: str) -> None:
    token = api.token(signed_in)
    job = api.create_job(token, name="Busy job", schedule_type="cron", cron_expression="0 0 1 1 *")
    for _ in range(21):
        response = httpx.post(
            f"{live_server}/api/v1/jobs/{job['id']}/execute", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 202, response.text
    page.goto(f"/jobs/{job['id']}")
    history = page.get_by_role("table", name="Execution history, newest first")
    expect(history.get_by_role("row")).to_have_count(21)  # header + 20 newest
    pages = page.get_by_role("navigation", name="Execution history pages")
    expect(pages.get_by_role("button", name="← Newer runs")).to_be_disabled()
    pages.get_by_role("button", name="Older runs →").click()
    expect(history.get_by_role("row")).to_have_count(2)  # header + the oldest
    expect(pages.get_by_role("button", name="Older runs →")).to_be_disabled()
    pages.get_by_role("button", name="← Newer runs").click()
    expect(history.get_by_role("row")).to_have_count(21)
