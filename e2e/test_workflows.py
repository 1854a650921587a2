"""Workflows in a real browser: make a job run after another in the editor, run the first, and watch
the second run appear; follow the runs that caused each other, re-run one, run with another
payload, and see the dependency graph (axe-clean, desktop and phone)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def test_a_chain_made_in_the_editor_runs_the_downstream_job(page: Page, signed_in: str, api, shot) -> None:
    token = api.token(signed_in)
    extract = api.create_job(token, name="Extract", schedule_type="interval", interval_seconds=3600)

    # The downstream job, made in the editor: "After other jobs", Extract, when it succeeded.
    page.goto("/jobs/new")
    page.get_by_label("Name").fill("Load")
    page.get_by_label("After other jobs").check()
    expect(page.get_by_role("group", name="Run after")).to_be_visible()
    page.get_by_label("Extract").check()
    page.get_by_label("Runs", exact=True).select_option("success")
    shot("job-editor-after")
    page.get_by_role("button", name="Create job").click()
    expect(page.get_by_role("heading", name="Load")).to_be_visible()
    settings = page.get_by_role("region", name="Settings")
    expect(settings).to_contain_text("After another job succeeded")
    expect(settings.get_by_role("link", name="Extract")).to_be_visible()

    # The upstream job says what it triggers; running it runs Load.
    settings.get_by_role("link", name="Extract").click()
    expect(page.get_by_role("heading", name="Extract")).to_be_visible()
    expect(page.get_by_role("region", name="Settings").get_by_role("link", name="Load")).to_be_visible()
    shot("job-detail-triggers")
    page.get_by_role("button", name="Run now").click()
    expect(page.get_by_role("row").filter(has_text="manual")).to_contain_text("succeeded", timeout=20_000)
    page.get_by_role("region", name="Settings").get_by_role("link", name="Load").click()
    run = page.get_by_role("row").filter(has_text="dependency")
    expect(run).to_contain_text("succeeded", timeout=20_000)

    # The downstream run names the run that caused it, and that run names it back.
    run.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name=re.compile(r"^Execution #\d+$"))).to_be_visible()
    details = page.get_by_role("region", name="Details")
    expect(details).to_contain_text("Caused by")
    expect(details).to_contain_text('"status": "succeeded"')
    downstream_url = page.url
    shot("execution-caused-by")
    details.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    expect(page.get_by_role("region", name="Details")).to_contain_text("Caused")
    page.get_by_role("region", name="Details").get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    expect(page).to_have_url(downstream_url)

    # Re-run: a new execution that says which one it runs again.
    page.get_by_role("button", name="Re-run").click()
    expect(page.get_by_role("region", name="Details")).to_contain_text("Runs again")
    expect(page.get_by_role("region", name="Details")).to_contain_text("rerun")
    expect(page.get_by_text("succeeded", exact=True).first).to_be_visible(timeout=20_000)

    # Run the upstream once with another payload.
    page.goto(f"/jobs/{extract['id']}")
    page.get_by_text("Another payload, for one run").click()
    page.get_by_label("Payload for this run (JSON)").fill('{"day": "2026-11-20"}')
    page.get_by_role("button", name="Run with this payload").click()
    expect(page.get_by_role("row").filter(has_text="manual")).to_have_count(2, timeout=20_000)
    page.get_by_role("row").filter(has_text="manual").first.get_by_role("link").click()
    expect(page.get_by_role("region", name="Details")).to_contain_text('"day": "2026-11-20"')

    # The graph of the workspace's dependencies, drawn, each job a link.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workflows").click()
    expect(page.get_by_role("heading", name="Workflows", level=1)).to_be_visible()
    graph = page.get_by_role("group", name=re.compile("Dependency graph"))
    expect(graph.get_by_role("link", name=re.compile("^Extract"))).to_be_visible()
    expect(graph.get_by_role("link", name=re.compile("^Load"))).to_be_visible()
    expect(page.locator(".graph path.edge")).to_have_count(1)
    expect(page.get_by_role("listitem").filter(has_text="Load runs after Extract")).to_be_visible()
    shot("workflows-graph")
    graph.get_by_role("link", name=re.compile("^Load")).click()
    expect(page.get_by_role("heading", name="Load")).to_be_visible()

    # Deleting Extract says Load runs after it, and deletes only when asked again.
    page.goto(f"/jobs/{extract['id']}")
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete job").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Load")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("heading", name="Extract")).to_be_visible()

    # A phone: no sideways scrolling on the graph page or the job page.
    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in [("/workflows", "phone-workflows"), (f"/jobs/{extract['id']}", "phone-job-triggers")]:
        page.goto(path)
        page.get_by_role("heading", level=1).wait_for()
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
        shot(name)
