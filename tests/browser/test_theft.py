"""A stolen refresh token, replayed after its owner used it, ends the session."""

from __future__ import annotations

import time

import pytest

from ._browsing import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    REFRESH_COOKIE,
    Browsing,
    cookies_by_name,
    install_client,
    sign_up,
    unique_email,
)
from ._serve import MakeServer

pytestmark = pytest.mark.browser

GRACE = 0.5


def test_replayed_refresh_token_revokes_the_family(
    make_server: MakeServer, browsing: Browsing
) -> None:
    """Context A's refresh cookie, copied before A refreshed, is presented by
    context B after the grace window: the server detects reuse and revokes the
    family, B is refused, and A is signed out at its next request."""
    server = make_server(refresh_grace_seconds=GRACE)
    owner_context = browsing.context()
    owner = owner_context.new_page()
    sign_up(owner, server, unique_email())
    stolen = cookies_by_name(owner_context)[REFRESH_COOKIE]

    install_client(owner)
    owner.evaluate("window.authgate.refresh()")  # A uses it: the copy is now spent
    assert server.codes("refresh.rotated") == ["rotated"]
    assert cookies_by_name(owner_context)[REFRESH_COOKIE]["value"] != stolen["value"]
    time.sleep(GRACE + 0.3)  # past the window in which a late twin is forgiven

    thief_context = browsing.context()
    thief_context.add_cookies(
        [
            {
                "name": REFRESH_COOKIE,
                "value": stolen["value"],
                "domain": "localhost",
                "path": "/auth/refresh",
                "secure": True,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )
    thief = thief_context.new_page()
    with thief.expect_response(lambda r: r.url.endswith("/auth/refresh")) as refreshed:
        thief.goto(server.url("/ui/account"))  # 401 → silent refresh with the copy
    assert refreshed.value.status == 401
    thief.wait_for_url("**/ui/sign-in")
    assert server.codes("refresh.reuse_detected") == ["refresh_reuse"]
    assert "refresh_reuse" in server.codes("session.revoked")
    assert REFRESH_COOKIE not in cookies_by_name(thief_context)

    # A's access token was revoked with the family, and its refresh token is
    # dead: the next page A opens sends it to sign-in.
    with owner.expect_response(lambda r: r.url.endswith("/auth/sessions")) as listed:
        owner.get_by_role("navigation").get_by_role("link", name="Sessions").click()
    assert listed.value.status == 401
    owner.wait_for_url("**/ui/sign-in")
    left = cookies_by_name(owner_context)
    assert ACCESS_COOKIE not in left
    assert REFRESH_COOKIE not in left
    assert CSRF_COOKIE not in left
