"""The web app shows credentials as the API does: masked, on every page — the job, its editor, and an
execution's result and log lines — while the target still receives the real values."""
from __future__ import annotations

from playwright.sync_api import Page, expect

SECRETS = {"X-Session-Id": "sess-e2e-0123456", "X-Signature": "sig-e2e-abcdef", "token": "tok-e2e-987654"}


def test_credentials_never_appear_on_any_page(page: Page, signed_in: str, api, receiver) -> None:
    token = api.token(signed_in)
    job = api.create_job(token, name="Signed sync", schedule_type="cron", cron_expression="0 3 * * *",
                         handler="http", max_retries=0,
                         target={"url": f"{receiver.url}/sync?token={SECRETS['token']}&page=1", "method": "POST",
                                 "headers": {"X-Session-Id": SECRETS["X-Session-Id"],
                                             "X-Signature": SECRETS["X-Signature"], "Accept": "text/plain"}})

    def assert_masked(where: str) -> None:
        page.wait_for_load_state("networkidle")
        html = page.content()
        for name, value in SECRETS.items():
            assert value not in html, f"{name} in clear on the {where}"

    page.goto(f"/jobs/{job['id']}")
    expect(page.get_by_role("heading", name="Signed sync")).to_be_visible()
    expect(page.get_by_text("token=****")).to_be_visible()
    assert_masked("job page")

    page.get_by_role("button", name="Run now").click()
    call = receiver.wait_for_requests(1)[0]
    assert call.headers["X-Session-Id"] == SECRETS["X-Session-Id"]  # the target got the real ones
    page.get_by_role("link", name="#").first.click()
    expect(page.get_by_text("succeeded").first).to_be_visible()
    assert_masked("execution page")

    page.goto(f"/jobs/{job['id']}/edit")
    expect(page.get_by_label("Header 3 value")).to_be_visible()
    shown = {page.get_by_label(f"Header {i} name").input_value(): page.get_by_label(f"Header {i} value").input_value()
             for i in (1, 2, 3)}
    assert shown == {"Accept": "text/plain", "X-Session-Id": "****", "X-Signature": "****"}
    assert_masked("editor")
