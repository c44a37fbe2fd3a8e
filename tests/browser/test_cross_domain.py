"""A frontend on one HTTPS origin using authgate on another.

``https://app.authgate.test:<port>`` imports ``authgate.js`` from
``https://api.authgate.test:<port>`` and calls it with ``baseUrl``; authgate
runs in production mode (``dev=False``) with the app on its CORS allowlist.
Both names resolve to 127.0.0.1 inside Chromium, which trusts the test
certificate's key.  ``https://evil.authgate.test:<port>`` (same site, not on
the allowlist) reads nothing and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page

from ._browsing import ACCESS_COOKIE, CSRF_COOKIE, PASSWORD, REFRESH_COOKIE, Browsing, unique_email
from ._certs import TestCertificates
from ._serve import AuthgateServer, MakeServer, StaticSite

pytestmark = pytest.mark.browser

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<script type="module" src="/{script}"></script></head><body><h1>{title}</h1></body></html>
"""

_APP_JS = """import {{ AuthgateClient }} from '{api}/authgate.js';
window.authgate = new AuthgateClient({{ baseUrl: '{api}' }});
document.body.dataset.ready = 'yes';
"""

_EVIL_JS = """const api = '{api}';
const outcome = (promise) => promise.then(
  (r) => `status:${{r.status}}`, (e) => `blocked:${{e.name}}`);
Promise.all([
  outcome(fetch(api + '/auth/me', {{ credentials: 'include' }})),
  outcome(fetch(api + '/auth/logout-all', {{ method: 'POST', credentials: 'include' }})),
  outcome(fetch(api + '/auth/sessions', {{ credentials: 'include' }})),
  outcome(import(api + '/authgate.js')),
]).then((results) => {{ window.results = results; }});
"""


class Deployment:
    """authgate at ``api``, the frontend (and the attacker) on ``site``."""

    def __init__(self, api: AuthgateServer, site: StaticSite) -> None:
        self.api = api
        self.site = site
        self.app_origin = site.origin("app.authgate.test")
        self.evil_origin = site.origin("evil.authgate.test")


@pytest.fixture
def deployment(make_server: MakeServer, certificates: TestCertificates) -> Iterator[Deployment]:
    site = StaticSite(tls=certificates.files)
    app_origin = site.origin("app.authgate.test")
    api = make_server(
        host="api.authgate.test",
        tls=certificates.files,
        dev=False,
        cors_origins=[app_origin],
    )
    assert api.settings.dev is False
    assert api.settings.public_url == api.origin
    site.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'self' {api.origin}; connect-src {api.origin}; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    site.start(
        {
            "/app.html": ("text/html; charset=utf-8", _PAGE.format(title="App", script="app.js")),
            "/app.js": ("text/javascript", _APP_JS.format(api=api.origin)),
            "/evil.html": (
                "text/html; charset=utf-8",
                _PAGE.format(title="Evil", script="evil.js"),
            ),
            "/evil.js": ("text/javascript", _EVIL_JS.format(api=api.origin)),
        }
    )
    yield Deployment(api, site)
    site.stop()


def _open_app(context: BrowserContext, deployment: Deployment) -> Page:
    page = context.new_page()
    page.goto(deployment.app_origin + "/app.html")
    page.locator("body[data-ready=yes]").wait_for()
    return page


def _reload(page: Page) -> None:
    page.reload()
    page.locator("body[data-ready=yes]").wait_for()


def test_frontend_on_another_origin_signs_in_and_refreshes(
    deployment: Deployment, browsing: Browsing
) -> None:
    """Over real HTTPS the app signs up, reads /auth/me and refreshes through
    CORS with credentials; the cookies are Secure, HttpOnly and the API's
    alone; after a reload (CSRF token unreadable from the app's origin) the
    client fetches a new one and refreshes and signs out."""
    api = deployment.api
    email = unique_email()
    context = browsing.context()
    app = _open_app(context, deployment)

    started = app.evaluate(
        "([email, password]) => window.authgate.register(email, password)", [email, PASSWORD]
    )
    assert started["email"] == email
    assert "access_token" not in started
    assert "refresh_token" not in started
    assert app.evaluate("window.authgate.me()")["email"] == email

    cookies = {c.get("name"): c for c in context.cookies()}
    assert set(cookies) == {ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE}
    for cookie in cookies.values():
        assert cookie.get("domain") == "api.authgate.test"  # host-only, on the API
        assert cookie.get("secure") is True
    assert cookies[ACCESS_COOKIE].get("httpOnly") is True
    assert cookies[REFRESH_COOKIE].get("httpOnly") is True
    assert app.evaluate("document.cookie") == ""

    app.evaluate("window.authgate.refresh()")
    assert api.codes("refresh.rotated") == ["rotated"]

    _reload(app)  # the in-memory CSRF token is gone; the cookie is not readable here
    app.evaluate("window.authgate.refresh()")
    assert api.codes("refresh.rotated") == ["rotated", "rotated"]
    assert api.codes("csrf.refused") == []
    assert app.evaluate("window.authgate.me()")["email"] == email

    _reload(app)
    app.evaluate("window.authgate.logout()")
    assert api.codes("logout") == ["logout"]
    assert api.codes("csrf.refused") == []
    assert context.cookies() == []
    status = app.evaluate("window.authgate.me().then(() => 200, (e) => e.status)")
    assert status == 401


def test_origin_off_the_allowlist_is_refused(deployment: Deployment, browsing: Browsing) -> None:
    """A signed-in user visits evil.authgate.test (same site, so the cookies
    are sent): CORS hides every response and the Origin check refuses the
    state change; the session lives on."""
    api = deployment.api
    context = browsing.context()
    app = _open_app(context, deployment)
    email = unique_email()
    app.evaluate(
        "([email, password]) => window.authgate.register(email, password)", [email, PASSWORD]
    )

    evil = context.new_page()
    with evil.expect_request(lambda r: r.url == api.url("/auth/logout-all")):
        evil.goto(deployment.evil_origin + "/evil.html")
    results = evil.wait_for_function("() => window.results", timeout=10_000).json_value()
    assert results == ["blocked:TypeError"] * 4
    # Refused by the Origin check, which runs only once the access cookie has
    # authenticated the request: the cookie was sent (same site), yet nothing
    # happened.
    assert api.codes("csrf.refused") == ["origin_not_allowed"]
    assert api.codes("logout.all") == []
    assert api.codes("session.revoked") == []
    assert app.evaluate("window.authgate.me()")["email"] == email
