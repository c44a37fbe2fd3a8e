"""Every page of the built-in UI renders under a strict CSP (screenshots too).

The pages run only scripts and styles from /ui/static/ on their own origin:
no inline script, no inline style, no eval.  Chromium reports each
violation on the console, which the ``browsing`` fixture watches.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from authgate.server.routers.pages import PAGE_CSP

from ._browsing import Browsing, install_client, screenshot, sign_up, unique_email
from ._serve import AuthgateServer

pytestmark = pytest.mark.browser

PAGES = {
    "sign-up": "Create an account",
    "sign-in": "Sign in",
    "account": "Your account",
    "sessions": "Your sessions",
    "sign-out": "Sign out",
}

# Anything that would need 'unsafe-inline' (or 'unsafe-eval') to work.
_INLINE_CODE = """() => {
  const found = [];
  for (const el of document.querySelectorAll('script:not([src]), style')) found.push(el.tagName);
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const where = `${el.tagName}[${attr.name}]`;
      if (attr.name.startsWith('on') || attr.name === 'style') found.push(where);
      if (/^\\s*javascript:/i.test(attr.value)) found.push(`${where}=javascript:`);
    }
  }
  return found;
}"""


def _directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


def test_every_page_renders_under_a_strict_csp(server: AuthgateServer, browsing: Browsing) -> None:
    """Each page (signed in) sends the strict CSP, contains no inline script,
    style or handler, renders its heading, and logs no error at all."""
    policy = _directives(PAGE_CSP)
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "unsafe" not in PAGE_CSP

    page = browsing.page()
    sign_up(page, server, unique_email())
    for name, heading in PAGES.items():
        response = page.goto(server.url(f"/ui/{name}"))
        assert response is not None
        assert response.status == 200
        assert response.headers["content-security-policy"] == PAGE_CSP
        assert response.headers["x-frame-options"] == "DENY"
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        if name == "account":
            expect(page.locator("#me")).to_have_attribute("aria-busy", "false")
        if name == "sessions":
            expect(page.locator("#sessions tbody tr")).to_have_count(1)
        assert page.evaluate(_INLINE_CODE) == [], name
        assert page.evaluate("document.styleSheets.length") == 1  # style.css applied
        screenshot(page, f"page-{name}")
    assert browsing.csp_violations() == []
    # Signed in, no page logs an error (not even a missing favicon).
    assert [m.text for m in browsing.console if m.type == "error"] == []


def test_inline_script_is_refused_and_reported(server: AuthgateServer, browsing: Browsing) -> None:
    """The CSP is enforced: an injected inline script does not run, and the
    violation shows on the console — so the watch on it would see one."""
    page = browsing.page()
    page.goto(server.url("/ui/sign-in"))
    install_client(page)  # a same-origin module import is allowed
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate(
            """() => {
              const script = document.createElement('script');
              script.textContent = 'window.inlineRan = true';
              document.head.append(script);
            }"""
        )
    assert page.evaluate("() => window.inlineRan === undefined") is True
    violations = browsing.csp_violations()
    assert len(violations) == 1
    assert "script-src 'self'" in violations[0]
    browsing.console.clear()  # expected here; the fixture fails on any other


def test_uncaught_page_errors_are_caught_by_the_watch(
    server: AuthgateServer, browsing: Browsing
) -> None:
    """The fixture's watch on page errors works (it fails every other test
    whose pages throw)."""
    page = browsing.page()
    page.goto(server.url("/ui/sign-in"))
    with page.expect_event("pageerror"):
        page.evaluate("() => { setTimeout(() => { throw new Error('boom'); }); }")
    assert len(browsing.errors) == 1
    assert "boom" in browsing.errors[0]
    browsing.errors.clear()
