"""Sign out, and sign out everywhere, end access where they should."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Response, expect

from ._browsing import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    REFRESH_COOKIE,
    Browsing,
    cookies_by_name,
    install_client,
    screenshot,
    sign_in,
    sign_up,
    unique_email,
)
from ._serve import AuthgateServer

pytestmark = pytest.mark.browser

_SESSION_COOKIES = {ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE}


def _assert_signed_out(context: BrowserContext) -> None:
    assert _SESSION_COOKIES.isdisjoint(cookies_by_name(context))


def test_sign_out_ends_this_session_only(server: AuthgateServer, browsing: Browsing) -> None:
    """The "Sign out" button clears this browser's cookies and revokes its session — a
    copy of its cookies is refused — while another browser stays signed in."""
    email = unique_email()
    mine = browsing.context()
    page = mine.new_page()
    sign_up(page, server, email)
    copy = browsing.context()
    copy.add_cookies(
        [
            {
                "name": c["name"],
                "value": c["value"],
                "domain": c["domain"],
                "path": c["path"],
                "secure": c["secure"],
                "httpOnly": c["httpOnly"],
                "sameSite": c["sameSite"],
            }
            for c in mine.cookies()
        ]
    )
    other = browsing.context()
    sign_in(other.new_page(), server, email)

    page.get_by_role("link", name="Sign out").click()
    page.wait_for_url("**/ui/sign-out")
    screenshot(page, "sign-out")
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url("**/ui/sign-in")
    _assert_signed_out(mine)
    assert server.codes("logout") == ["logout"]

    copied = copy.new_page()
    with copied.expect_response(lambda r: r.url == server.url("/auth/refresh")) as refreshed:
        copied.goto(server.url("/ui/account"))
    assert refreshed.value.status == 401
    copied.wait_for_url("**/ui/sign-in")
    assert server.codes("refresh.reuse_detected") == []

    still = other.new_page()
    still.goto(server.url("/ui/account"))
    expect(still.locator("#me-email")).to_have_text(email)


def test_sign_out_everywhere_ends_every_session(server: AuthgateServer, browsing: Browsing) -> None:
    """The "Sign out everywhere" button clears this browser's
    cookies, and the other browser's next /auth/me is 401 even after its
    silent refresh attempt."""
    email = unique_email()
    mine = browsing.context()
    page = mine.new_page()
    sign_up(page, server, email)
    other = browsing.context()
    elsewhere = other.new_page()
    sign_in(elsewhere, server, email)
    install_client(elsewhere)

    page.goto(server.url("/ui/sessions"))
    rows = page.locator("#sessions tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="(this browser)")).to_have_count(1)
    screenshot(page, "sessions")
    page.get_by_role("button", name="Sign out everywhere").click()
    page.wait_for_url("**/ui/sign-in")
    _assert_signed_out(mine)
    assert server.codes("logout.all") == ["logout_all"]

    statuses: dict[str, int] = {}

    def note(response: Response) -> None:
        statuses.setdefault(response.url.removeprefix(server.origin), response.status)

    elsewhere.on("response", note)
    outcome = elsewhere.evaluate("window.authgate.me().then(() => 200, (e) => e.status)")
    assert outcome == 401
    assert statuses["/auth/me"] == 401
    assert statuses["/auth/refresh"] == 401
    elsewhere.wait_for_url("**/ui/sign-in")  # the page's own client heard it too
    _assert_signed_out(other)
    assert server.codes("refresh.reuse_detected") == []
