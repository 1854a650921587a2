"""Sessions: tokens refresh before they expire; an expired session returns to sign in, then to the page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .conftest import PASSWORD


def test_expired_session_returns_to_sign_in_and_back_to_the_page(page: Page, signed_in: str) -> None:
    page.goto("/jobs?q=report")
    expect(page.get_by_role("heading", name="Jobs")).to_be_visible()
    # Both tokens become unusable (as after a week away): the API answers 401 and refresh fails.
    page.evaluate("""() => {
        const s = JSON.parse(sessionStorage.getItem('chronos.session'));
        s.access = 'expired.' + s.access.split('.')[1] + '.bad';
        s.refresh = 'revoked.' + s.refresh.split('.')[1] + '.bad';
        sessionStorage.setItem('chronos.session', JSON.stringify(s));
    }""")
    page.reload()
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fjobs%3Fq%3Dreport&expired=1$"))
    expect(
        page.get_by_text("Your session has expired. Sign in to continue where you left off.")
    ).to_be_visible()

    page.get_by_label("Email").fill(signed_in)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/jobs\?q=report$"))
    expect(page.get_by_label("Search by name")).to_have_value("report")


def test_access_token_is_refreshed_before_it_expires(page: Page, signed_in: str) -> None:
    before = page.evaluate("() => JSON.parse(sessionStorage.getItem('chronos.session'))")
    # Pretend the access token expires in 10 s: the next request first rotates both tokens.
    page.evaluate("""() => {
        const s = JSON.parse(sessionStorage.getItem('chronos.session'));
        s.expiresAt = Date.now() + 10000;
        sessionStorage.setItem('chronos.session', JSON.stringify(s));
    }""")
    with page.expect_response(re.compile(r"/api/v1/auth/refresh$")) as refresh:
        page.reload()
    assert refresh.value.status == 200
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    after = page.evaluate("() => JSON.parse(sessionStorage.getItem('chronos.session'))")
    assert after["access"] != before["access"]
    assert after["refresh"] != before["refresh"]
    assert after["expiresAt"] > before["expiresAt"] - 1000


def test_sign_out_revokes_the_tokens(page: Page, signed_in: str, live_server: str) -> None:
    import httpx

    session = page.evaluate("() => JSON.parse(sessionStorage.getItem('chronos.session'))")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('chronos.session')") is None
    me = httpx.get(f"{live_server}/api/v1/auth/me", headers={"Authorization": f"Bearer {session['access']}"})
    assert me.status_code == 401
    refreshed = httpx.post(
        f"{live_server}/api/v1/auth/refresh", headers={"Authorization": f"Bearer {session['refresh']}"}
    )
    assert refreshed.status_code == 401
