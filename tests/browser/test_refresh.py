"""Silent refresh: short-lived access tokens never interrupt the page.

Access tokens live 3 s here (leeway 0), so ten seconds of use cross several
expiries.  ``authgate.js`` refreshes a third of the lifetime early (its 30 s
default margin would otherwise refresh in a loop), one tab at a time.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Request

from ._browsing import (
    ACCESS_COOKIE,
    REFRESH_COOKIE,
    Browsing,
    cookies_by_name,
    install_client,
    sign_up,
    unique_email,
)
from ._serve import MakeServer

pytestmark = pytest.mark.browser

ACCESS_TTL = 3

# Every `interval` ms for `duration` ms: one authenticated call; each outcome
# (status or error) is kept in window.outcomes.
_USE_THE_PAGE = """([interval, duration]) => {
  window.outcomes = [];
  window.pageLoadMark = window.pageLoadMark || Math.random();
  const end = Date.now() + duration;
  const tick = async () => {
    try {
      const me = await window.authgate.me();
      window.outcomes.push(me.email ? 'ok' : 'empty');
    } catch (error) {
      window.outcomes.push(`${error.name}:${error.status}:${error.code}`);
    }
    if (Date.now() < end) setTimeout(tick, interval); else window.outcomesDone = true;
  };
  tick();
  return window.pageLoadMark;
}"""


def _use(page: Page, *, interval_ms: int, duration_ms: int) -> float:
    mark: float = page.evaluate(_USE_THE_PAGE, [interval_ms, duration_ms])
    return mark


# At the wall-clock time `at`, refresh; the outcome settles window.burst.
_REFRESH_AT = """(at) => {
  window.burst = new Promise((settle) => setTimeout(() => {
    window.authgate.refresh().then(() => settle('ok'), (error) => settle(String(error)));
  }, at - Date.now()));
}"""


def _outcomes(page: Page) -> list[str]:
    page.wait_for_function("() => window.outcomesDone === true", timeout=30_000)
    outcomes: list[str] = page.evaluate("window.outcomes")
    return outcomes


def _cookie_header(request: Request) -> str:
    return request.all_headers().get("cookie", "")


def test_page_keeps_working_across_several_expiries(
    make_server: MakeServer, browsing: Browsing
) -> None:
    """One call a second for 10 s with 3 s access tokens: every call succeeds,
    the page is never reloaded, the session rotates a few times (not in a
    loop), and no refresh token is ever presented twice."""
    server = make_server(access_ttl=ACCESS_TTL, leeway=0)
    context = browsing.context()
    page = context.new_page()
    sign_up(page, server, unique_email())
    install_client(page)
    first_access = cookies_by_name(context)[ACCESS_COOKIE]["value"]
    mark = _use(page, interval_ms=1000, duration_ms=10_000)
    outcomes = _outcomes(page)

    assert outcomes == ["ok"] * len(outcomes)
    assert len(outcomes) >= 10
    assert page.evaluate("window.pageLoadMark") == mark  # same document: no reload
    assert page.url == server.url("/ui/account")
    rotated = len(server.codes("refresh.rotated"))
    # A refresh every ~2 s (two thirds of 3 s): about five in 10 s.  A margin
    # larger than the lifetime would refresh hundreds of times.
    assert 3 <= rotated <= 8, rotated
    assert server.codes("refresh.reuse_detected") == []
    assert server.codes("refresh.grace") == []  # the page's two clients took turns
    assert server.codes("session.revoked") == []
    assert cookies_by_name(context)[ACCESS_COOKIE]["value"] != first_access


def test_refresh_cookie_goes_only_to_the_refresh_path(
    make_server: MakeServer, browsing: Browsing
) -> None:
    """The refresh token is sent to /auth/refresh only: API calls such as
    /auth/me carry the access cookie but never the refresh cookie."""
    server = make_server(access_ttl=ACCESS_TTL, leeway=0)
    page = browsing.page()
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request))  # noqa: PLW0108 - Playwright cannot wrap a builtin
    sign_up(page, server, unique_email())
    install_client(page)
    page.evaluate("window.authgate.refresh()")
    page.evaluate("window.authgate.me()")

    by_path: dict[str, list[str]] = {}
    for request in sent:
        path = request.url.removeprefix(server.origin).split("?")[0]
        by_path.setdefault(path, []).append(_cookie_header(request))
    assert by_path["/auth/me"], "the account page calls /auth/me"
    for header in by_path["/auth/me"]:
        assert f"{ACCESS_COOKIE}=" in header
        assert REFRESH_COOKIE not in header
    for path in ("/ui/account", "/ui/static/pages.js", "/ui/static/authgate.js"):
        for header in by_path[path]:
            assert REFRESH_COOKIE not in header, path
    assert by_path["/auth/refresh"], "the client refreshed"
    for header in by_path["/auth/refresh"]:
        assert f"{REFRESH_COOKIE}=" in header


def test_three_tabs_expiring_together_stay_signed_in(
    make_server: MakeServer, browsing: Browsing
) -> None:
    """Three tabs of one browser that refresh at the same instant, then use
    the API through several expiries, refresh one at a time (Web Locks +
    BroadcastChannel): all stay signed in, no refresh token is presented
    twice — not even within the grace window — and no session is revoked."""
    server = make_server(access_ttl=ACCESS_TTL, leeway=0)
    context = browsing.context()
    email = unique_email()
    tabs = [context.new_page() for _ in range(3)]
    sign_up(tabs[0], server, email)
    for tab in tabs[1:]:
        tab.goto(server.url("/ui/account"))
    for tab in tabs:
        tab.locator("#me-email").filter(has_text=email).wait_for()
        install_client(tab)

    before = len(server.codes("refresh.rotated"))
    at: float = tabs[0].evaluate("Date.now() + 300")
    for tab in tabs:
        tab.evaluate(_REFRESH_AT, at)
    assert [tab.evaluate("window.burst") for tab in tabs] == ["ok"] * 3
    # One tab refreshed; the others found its result once they got the lock
    # (a page timer that fired just before may account for one more).
    assert len(server.codes("refresh.rotated")) - before in {1, 2}
    assert server.codes("refresh.grace") == []

    for tab in tabs:  # all three call the API through the expiries
        _use(tab, interval_ms=250, duration_ms=6_000)
    for tab in tabs:
        outcomes = _outcomes(tab)
        assert outcomes == ["ok"] * len(outcomes)
        assert tab.url == server.url("/ui/account")
    assert server.codes("refresh.reuse_detected") == []
    assert server.codes("session.revoked") == []
    # Had the tabs refreshed on their own, the same token would have come back
    # (a grace hit) at every expiry.
    assert server.codes("refresh.grace") == []
    assert len(server.codes("refresh.rotated")) <= 8
