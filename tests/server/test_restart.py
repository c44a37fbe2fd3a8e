"""A restart (same SQLite file, same secret) keeps users, sessions and
revocations: the in-memory revocation list is rebuilt from the database."""

from __future__ import annotations

import secrets

from ._fixtures import MakeApi, MakeBrowser, MakeServer
from ._live import STRONG_PASSWORD, assert_problem, unique_email


def test_restart_keeps_users_sessions_and_revocations(
    make_server: MakeServer, make_api: MakeApi, make_browser: MakeBrowser
) -> None:
    """After a restart: login works, an old refresh token (bearer and cookie)
    still refreshes, an unrevoked access token still verifies, and an access
    token revoked by logout before the restart is still refused."""
    first = make_server()
    api, browser = make_api(first), make_api(first, "logged-out")
    tab = make_browser(first)
    email = unique_email()
    api.register(email, STRONG_PASSWORD)
    api.login(email, STRONG_PASSWORD)
    browser.login(email, STRONG_PASSWORD)
    tab.login(email, STRONG_PASSWORD)
    kept_access, kept_refresh = api.access_token or "", api.refresh_token or ""
    revoked_access = browser.access_token or ""
    assert browser.post("/auth/logout").status_code == 204
    first.stop()

    second = make_server(clock=first.clock)
    api2 = make_api(second)
    assert api2.get("/auth/verify", token=kept_access).status_code == 200
    assert_problem(api2.get("/auth/verify", token=revoked_access), 401, "revoked")
    assert_problem(api2.get("/auth/me", token=revoked_access), 401, "revoked")
    response = api2.refresh(kept_refresh)
    assert response.status_code == 200, response.text
    assert api2.get("/auth/me").json()["email"] == email

    tab2 = make_browser(second)
    tab2.jar = dict(tab.jar)
    assert tab2.post("/auth/refresh").status_code == 200
    assert tab2.get("/auth/me").status_code == 200

    fresh = make_api(second, "fresh")
    fresh.login(email, STRONG_PASSWORD)
    sessions = fresh.get("/auth/sessions").json()
    assert len(sessions) == 3  # api, tab and fresh; the logged-out one is gone


def test_a_different_secret_invalidates_old_tokens(
    make_server: MakeServer, make_api: MakeApi
) -> None:
    """Tokens are bound to the key: a server restarted with another secret
    refuses them (unknown key), while users can still log in."""
    first = make_server()
    api = make_api(first)
    email = unique_email()
    api.register(email, STRONG_PASSWORD)
    api.login(email, STRONG_PASSWORD)
    first.stop()
    second = make_server(jwt_secret=secrets.token_urlsafe(32))
    api2 = make_api(second)
    assert_problem(api2.get("/auth/verify", token=api.access_token), 401, "unknown_key")
    assert_problem(api2.refresh(api.refresh_token), 401, "unknown_key")
    api2.login(email, STRONG_PASSWORD)
