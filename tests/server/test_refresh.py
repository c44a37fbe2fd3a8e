"""Refresh-token rotation, reuse detection and the grace window, over HTTP.

Time moves only on the server's ManualClock: no test sleeps.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from ._fixtures import Account, MakeApi, MakeServer
from ._live import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    REFRESH_COOKIE,
    ApiClient,
    Browser,
    LiveServer,
    assert_problem,
    jwt_claims,
)

REFRESH_TTL = 7 * 24 * 3600
LEEWAY = 30
GRACE = 5.0


def test_bearer_refresh_rotates_the_pair(api: ApiClient, account: Account) -> None:
    """POST /auth/refresh returns a new pair (API.md token body) in the same
    session, and the new access token works."""
    first = api.login(account.email, account.password)
    response = api.refresh()
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == set(first)
    assert body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"]
    assert jwt_claims(body["refresh_token"])["sid"] == jwt_claims(first["refresh_token"])["sid"]
    assert response.headers["cache-control"] == "no-store"
    assert api.get("/auth/me").status_code == 200


def test_cookie_refresh_rotates_the_cookies(browser: Browser, account: Account) -> None:
    """Cookie refresh (refresh cookie + CSRF token) sets new cookies and a new
    CSRF token; the body carries no token."""
    browser.login(account.email, account.password)
    old_refresh, old_csrf = browser.refresh_token, browser.csrf_token
    response = browser.post("/auth/refresh")
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"csrf_token", "expires_in", "refresh_expires_in"}
    assert set(browser.last_set) == {ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE}
    assert browser.refresh_token != old_refresh
    assert browser.csrf_token != old_csrf
    assert (browser.refresh_token or "") not in response.text
    assert browser.get("/auth/me").status_code == 200
    assert browser.post("/auth/logout").status_code == 204


def test_reuse_after_the_grace_window_revokes_the_family(
    server: LiveServer, api: ApiClient, make_api: MakeApi, account: Account
) -> None:
    """A spent refresh token presented after the grace window is 401
    ``refresh_reuse``; the whole family is revoked: the successor no longer
    refreshes and the family's live access token fails /auth/verify and
    /auth/me at once."""
    api.login(account.email, account.password)
    stolen = api.refresh_token or ""
    assert api.refresh().status_code == 200
    live_access, successor = api.access_token or "", api.refresh_token or ""
    bystander = make_api(server, "other-device")
    bystander.login(account.email, account.password)

    server.clock.advance(GRACE + 1)
    reuse = api.refresh(stolen)
    assert_problem(reuse, 401, "refresh_reuse")
    assert 'error="invalid_token"' in reuse.headers["www-authenticate"]
    assert_problem(api.get("/auth/verify", token=live_access), 401, "revoked")
    assert_problem(api.get("/auth/me", token=live_access), 401, "revoked")
    assert api.refresh(successor).status_code == 401
    assert server.events.named("refresh.reuse_detected")
    # Only the stolen family: the user's other session is untouched.
    assert bystander.get("/auth/me").status_code == 200
    assert bystander.refresh().status_code == 200


def test_reuse_without_a_grace_window_is_detected_at_once(
    make_server: MakeServer, make_api: MakeApi
) -> None:
    """With ``refresh_grace_seconds=0`` the second presentation of a refresh
    token, even in the same second, revokes the family."""
    server = make_server(refresh_grace_seconds=0)
    api = make_api(server)
    email = "zero-grace@example.test"
    api.register(email, "Quartz-Lantern-Velvet-7319")
    api.login(email, "Quartz-Lantern-Velvet-7319")
    token = api.refresh_token or ""
    assert api.refresh(token).status_code == 200
    assert_problem(api.refresh(token), 401, "refresh_reuse")
    assert api.get("/auth/me").status_code == 401


def test_grace_window_gives_concurrent_tabs_the_same_successor(
    server: LiveServer, api: ApiClient, account: Account
) -> None:
    """Two refreshes with one token inside ``refresh_grace_seconds`` both
    succeed with the SAME refresh token; one second past the window the same
    presentation revokes the family."""
    api.login(account.email, account.password)
    token = api.refresh_token or ""
    first = api.refresh(token)
    assert first.status_code == 200
    server.clock.advance(GRACE - 1)
    second = api.refresh(token)
    assert second.status_code == 200, second.text
    assert second.json()["refresh_token"] == first.json()["refresh_token"]
    assert second.json()["access_token"] != first.json()["access_token"]
    assert "grace" in server.event_codes("refresh.grace")
    grace_access = second.json()["access_token"]

    server.clock.advance(2)  # now GRACE + 1 after the spend
    assert_problem(api.refresh(token), 401, "refresh_reuse")
    assert_problem(api.get("/auth/verify", token=grace_access), 401, "revoked")
    assert api.refresh(first.json()["refresh_token"]).status_code == 401


def test_grace_window_for_two_browser_tabs(
    server: LiveServer, browser: Browser, account: Account
) -> None:
    """Cookie transport: a second tab refreshing with the same cookie inside
    the window gets the same refresh cookie (no logout of the user)."""
    browser.login(account.email, account.password)
    jar = dict(browser.jar)
    assert browser.post("/auth/refresh").status_code == 200
    winner = browser.refresh_token
    browser.jar = jar  # the other tab still holds the old cookies
    server.clock.advance(1)
    response = browser.post("/auth/refresh")
    assert response.status_code == 200, response.text
    assert browser.refresh_token == winner


def test_refresh_token_lifetime_boundary(
    server: LiveServer, make_api: MakeApi, account: Account
) -> None:
    """A refresh token refreshes until its ``exp`` (7 days); past
    ``exp`` + leeway (30 s) it is 401."""
    early, late = make_api(server, "early"), make_api(server, "late")
    early.login(account.email, account.password)
    late.login(account.email, account.password)
    server.clock.advance(REFRESH_TTL - 1)
    assert early.refresh().status_code == 200
    server.clock.advance(1 + LEEWAY + 1)  # 7 days + 31 s after login
    expired = late.refresh()
    assert_problem(expired, 401, "expired")
    assert 'error="invalid_token"' in expired.headers["www-authenticate"]


def test_refresh_refuses_revoked_garbage_and_access_tokens(
    api: ApiClient, account: Account
) -> None:
    """Refresh is 401 for a logged-out session's token, garbage, an access
    token (distinct ``typ``/audience) and a missing token."""
    api.login(account.email, account.password)
    access = api.access_token or ""
    revoked = api.refresh_token or ""
    assert api.post("/auth/logout").status_code == 204
    assert_problem(api.refresh(revoked), 401, "session_revoked")
    assert_problem(api.refresh("not.a.token"), 401, "malformed")
    assert_problem(api.refresh("garbage"), 401, "malformed")
    api.login(account.email, account.password)
    assert_problem(api.refresh(api.access_token or ""), 401, "wrong_type")
    assert_problem(api.refresh(access), 401, "wrong_type")
    missing = api.post("/auth/refresh", json={}, auth=False)
    assert_problem(missing, 401, "missing_token")
    assert api.refresh().status_code == 200


@pytest.mark.parametrize("case", ["garbage", "revoked"])
def test_failed_cookie_refresh_clears_the_cookies(
    browser: Browser, account: Account, case: str
) -> None:
    """A refused cookie refresh is 401 and tells the browser its session is
    over by clearing the cookies."""
    browser.login(account.email, account.password)
    if case == "garbage":
        browser.jar[REFRESH_COOKIE] = replace(browser.jar[REFRESH_COOKIE], value="garbage")
    else:
        jar = dict(browser.jar)
        assert browser.post("/auth/logout").status_code == 204
        browser.jar = jar  # a stale tab still holds the cookies
    response = browser.post("/auth/refresh")
    assert response.status_code == 401, response.text
    assert set(browser.last_set) == {ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE}
    assert all(c.max_age == 0 for c in browser.last_set.values())
