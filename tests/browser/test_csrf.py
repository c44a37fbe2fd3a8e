"""Cross-site request forgery against the cookie session is refused.

A signed-in victim opens an attacker's page in the same browser.  The page
auto-submits a form and fires ``fetch(..., {credentials: 'include'})`` at
state-changing endpoints.  Two attackers: ``http://127.0.0.1:<port>`` is
cross-site (SameSite=Lax withholds the cookies), ``http://localhost:<other
port>`` is same-site but cross-origin (the cookies go along; the Origin check
and the CSRF token must stop it).  Nothing changes server-side, while the
same requests from authgate's own page succeed.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Request

from ._browsing import (
    ACCESS_COOKIE,
    PASSWORD,
    Browsing,
    install_client,
    sign_in,
    sign_up,
    unique_email,
)
from ._serve import AuthgateServer, StaticSite

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Harbor-Juniper-Cobalt-4826"

_ATTACK_HTML = """<!doctype html>
<html><head><title>Win a prize</title><script src="/attack.js" defer></script></head>
<body><form id="prize" method="post"><button>Claim</button></form></body></html>
"""

# ?target=<authgate origin>&mode=form|fetch.  Results go to window.results.
_ATTACK_JS = """
const params = new URLSearchParams(location.search);
const target = params.get('target');
const outcome = (promise) => promise.then(
  (r) => `status:${r.status}`, (e) => `blocked:${e.name}`);
if (params.get('mode') === 'form') {
  const form = document.getElementById('prize');
  form.action = target + '/auth/logout-all';
  form.submit();
} else {
  const steal = JSON.stringify({ current_password: 'guess', new_password: 'Pwned-Pwned-Pwned-1' });
  Promise.all([
    outcome(fetch(target + '/auth/logout-all', { method: 'POST', credentials: 'include' })),
    outcome(fetch(target + '/auth/password', {
      method: 'POST', credentials: 'include', mode: 'no-cors',
      headers: { 'Content-Type': 'text/plain' }, body: steal,
    })),
    outcome(fetch(target + '/auth/password', {
      method: 'POST', credentials: 'include',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': 'guessed' }, body: steal,
    })),
    outcome(fetch(target + '/auth/me', { credentials: 'include' })),
  ]).then((results) => { window.results = results; });
}
"""


@pytest.fixture
def attacker() -> Iterator[StaticSite]:
    site = StaticSite().start(
        {
            "/attack.html": ("text/html; charset=utf-8", _ATTACK_HTML),
            "/attack.js": ("text/javascript; charset=utf-8", _ATTACK_JS),
        }
    )
    yield site
    site.stop()


def _attack_url(site: StaticSite, host: str, server: AuthgateServer, mode: str) -> str:
    return f"{site.origin(host)}/attack.html?" + urlencode({"target": server.origin, "mode": mode})


@pytest.mark.parametrize(
    ("host", "same_site"),
    [("127.0.0.1", False), ("localhost", True)],
    ids=["cross-site", "same-site"],
)
def test_forged_requests_change_nothing(
    server: AuthgateServer,
    browsing: Browsing,
    attacker: StaticSite,
    host: str,
    same_site: bool,
) -> None:
    """A form post and credentialed fetches from another origin are refused
    (401/403/422, or never sent); the session and the password survive."""
    email = unique_email()
    context = browsing.context()
    victim = context.new_page()
    sign_up(victim, server, email)

    evil = context.new_page()
    sent: list[Request] = []
    evil.on("request", lambda request: sent.append(request))  # noqa: PLW0108 - Playwright cannot wrap a builtin
    evil.goto(_attack_url(attacker, host, server, "fetch"))
    results = evil.wait_for_function("() => window.results", timeout=10_000).json_value()
    # The attacker's script reads nothing: CORS hides the responses, the
    # no-cors one is opaque (status 0) or, cross-site, blocked by CORP, and the
    # preflight for a JSON body is refused.
    assert results[0] == results[2] == results[3] == "blocked:TypeError"
    assert results[1] == ("status:0" if same_site else "blocked:TypeError")
    forged = [(r.method, r.url.removeprefix(server.origin)) for r in sent]
    assert ("POST", "/auth/logout-all") in forged
    assert ("POST", "/auth/password") in forged  # the no-cors one is sent

    with evil.expect_response(lambda r: r.url == server.url("/auth/logout-all")) as posted:
        evil.goto(_attack_url(attacker, host, server, "form"))
    carried = ACCESS_COOKIE in posted.value.request.all_headers().get("cookie", "")
    assert carried is same_site  # SameSite=Lax: a cross-site POST goes without
    if same_site:  # the cookie went along: the Origin check refused it
        assert posted.value.status == 403
        assert server.codes("csrf.refused")
        assert set(server.codes("csrf.refused")) == {"origin_not_allowed"}
    else:
        assert posted.value.status == 401
        assert server.codes("csrf.refused") == []

    # Server-side nothing changed: the session is live and listed.
    assert server.codes("logout.all") == []
    assert server.codes("password.changed") == []
    assert server.codes("session.revoked") == []
    victim.goto(server.url("/ui/sessions"))
    install_client(victim)
    sessions = victim.evaluate("window.authgate.sessions()")
    assert [s["current"] for s in sessions] == [True]

    # The same requests from authgate's own page go through; the change
    # succeeding with the original password shows the forgeries left it alone.
    victim.evaluate(
        "([old, fresh]) => window.authgate.changePassword(old, fresh)", [PASSWORD, NEW_PASSWORD]
    )
    assert server.codes("password.changed") != []
    victim.get_by_role("button", name="Sign out everywhere").click()
    victim.wait_for_url("**/ui/sign-in")
    assert server.codes("logout.all") == ["logout_all"]
    sign_in(browsing.page(), server, email, NEW_PASSWORD)
