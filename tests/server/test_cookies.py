"""Cookie attributes, read from the raw Set-Cookie headers the server sends."""

from __future__ import annotations

from ._fixtures import Account, MakeBrowser, MakeServer
from ._live import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    REFRESH_COOKIE,
    STRONG_PASSWORD,
    Browser,
    LiveServer,
    unique_email,
)


def test_access_cookie_attributes(browser: Browser, account: Account) -> None:
    """The access cookie is ``__Host-`` prefixed: HttpOnly, Secure,
    SameSite=Lax, Path=/, no Domain, Max-Age = access TTL (900 s)."""
    browser.login(account.email, account.password)
    access = browser.last_set[ACCESS_COOKIE]
    assert access.httponly is True
    assert access.secure is True
    assert access.samesite == "lax"
    assert access.path == "/"
    assert access.domain is None
    assert "domain" not in access.raw.lower()
    assert access.max_age == 900


def test_refresh_cookie_attributes(browser: Browser, account: Account) -> None:
    """The refresh cookie is ``__Secure-`` prefixed, HttpOnly, Secure,
    SameSite=Lax and sent only to /auth/refresh, for the refresh TTL."""
    browser.login(account.email, account.password)
    refresh = browser.last_set[REFRESH_COOKIE]
    assert refresh.httponly is True
    assert refresh.secure is True
    assert refresh.samesite == "lax"
    assert refresh.path == "/auth/refresh"
    assert refresh.domain is None
    assert refresh.max_age == 604800
    assert refresh.applies_to("/auth/refresh") is True
    assert refresh.applies_to("/auth/me") is False


def test_csrf_cookie_is_readable_but_secure(browser: Browser, account: Account) -> None:
    """The CSRF cookie is readable by the page (no HttpOnly: double submit)
    but still Secure and SameSite=Lax, and equals the body's csrf_token."""
    response = browser.login(account.email, account.password)
    csrf = browser.last_set[CSRF_COOKIE]
    assert csrf.httponly is False
    assert csrf.secure is True
    assert csrf.samesite == "lax"
    assert csrf.path == "/"
    assert csrf.value == response.json()["csrf_token"]


def test_refresh_sets_the_same_attributes(browser: Browser, account: Account) -> None:
    """A cookie refresh re-sets all three cookies with the login attributes."""
    browser.login(account.email, account.password)
    at_login = {
        name: (c.path, c.max_age, c.httponly, c.secure) for name, c in browser.last_set.items()
    }
    assert browser.post("/auth/refresh").status_code == 200
    at_refresh = {
        name: (c.path, c.max_age, c.httponly, c.secure) for name, c in browser.last_set.items()
    }
    assert at_refresh == at_login


def test_refresh_cookie_samesite_strict_is_configurable(
    make_server: MakeServer, make_browser: MakeBrowser
) -> None:
    """``refresh_cookie_samesite="strict"`` tightens the refresh cookie only."""
    server = make_server(refresh_cookie_samesite="strict")
    browser = make_browser(server)
    email = unique_email()
    browser.post("/auth/register", json={"email": email, "password": STRONG_PASSWORD})
    browser.login(email, STRONG_PASSWORD)
    assert browser.last_set[REFRESH_COOKIE].samesite == "strict"
    assert browser.last_set[ACCESS_COOKIE].samesite == "lax"


def test_cookie_domain_switches_the_access_cookie_to_secure_prefix(
    make_server: MakeServer, make_browser: MakeBrowser
) -> None:
    """With ``cookie_domain`` set, ``__Host-`` is impossible: the access cookie
    becomes ``__Secure-authgate_access`` with that Domain (and every cookie
    carries the Domain), and the server reads it under that name."""
    server: LiveServer = make_server(cookie_domain="example.test")
    browser = make_browser(server)
    email = unique_email()
    browser.post("/auth/register", json={"email": email, "password": STRONG_PASSWORD})
    browser.login(email, STRONG_PASSWORD)
    assert ACCESS_COOKIE not in browser.last_set
    access = browser.last_set["__Secure-authgate_access"]
    assert access.domain == "example.test"
    assert access.secure is True
    assert access.httponly is True
    assert access.path == "/"
    assert browser.last_set[REFRESH_COOKIE].domain == "example.test"
    assert browser.last_set[CSRF_COOKIE].domain == "example.test"
    assert browser.get("/auth/me").status_code == 200
    response = browser.post("/auth/logout")
    assert response.status_code == 204
    assert browser.last_set["__Secure-authgate_access"].domain == "example.test"
    assert browser.last_set["__Secure-authgate_access"].max_age == 0
