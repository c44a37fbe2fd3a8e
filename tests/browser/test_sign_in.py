"""Sign-up, sign-in and the account page, with the cookies they leave behind."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ._browsing import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    REFRESH_COOKIE,
    Browsing,
    cookies_by_name,
    screenshot,
    sign_in,
    sign_up,
    unique_email,
)
from ._serve import AuthgateServer

pytestmark = pytest.mark.browser


def test_sign_up_then_sign_in_shows_the_account(server: AuthgateServer, browsing: Browsing) -> None:
    """Sign-up starts a session and shows the account; signing in from another
    browser shows the same id, email and role."""
    email = unique_email()
    first = browsing.page()
    sign_up(first, server, email)
    user_id = first.locator("#me-id").inner_text()
    assert user_id.startswith("u_")  # opaque, never the email
    expect(first.locator("#me-role")).to_have_text("user")
    screenshot(first, "account")

    second = browsing.page()
    sign_in(second, server, email)
    expect(second.locator("#me-id")).to_have_text(user_id)
    expect(second.locator("#me-role")).to_have_text("user")
    assert server.codes("login.succeeded") != []


def test_tokens_live_only_in_http_only_secure_lax_cookies(
    server: AuthgateServer, browsing: Browsing
) -> None:
    """The access and refresh cookies are HttpOnly, Secure, SameSite=Lax with
    the ``__Host-``/``__Secure-`` prefixes; page script sees only csrf_token."""
    context = browsing.context()
    page = context.new_page()
    sign_up(page, server, unique_email())
    cookies = cookies_by_name(context)
    assert set(cookies) == {ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE}
    for name in (ACCESS_COOKIE, REFRESH_COOKIE):
        assert cookies[name]["httpOnly"] is True, name
        assert cookies[name]["secure"] is True, name
        assert cookies[name]["sameSite"] == "Lax", name
        assert cookies[name]["domain"] == "localhost", name  # host-only: no Domain
    assert cookies[ACCESS_COOKIE]["path"] == "/"
    assert cookies[REFRESH_COOKIE]["path"] == "/auth/refresh"
    assert cookies[CSRF_COOKIE]["httpOnly"] is False
    assert cookies[CSRF_COOKIE]["secure"] is True

    readable = page.evaluate("document.cookie")
    assert [part.split("=", 1)[0] for part in readable.split("; ")] == [CSRF_COOKIE]
    for name in (ACCESS_COOKIE, REFRESH_COOKIE):
        assert cookies[name]["value"] not in readable
    # No token in the page's storage either (only an expiry time is shared).
    storage = page.evaluate("JSON.stringify(Object.entries(localStorage))")
    for name in (ACCESS_COOKIE, REFRESH_COOKIE):
        assert cookies[name]["value"] not in storage
