"""Accessibility basics: labels, announced errors, keyboard-only sign-in.

The error states are also screenshotted (wrong password, weak password,
email taken, throttled) for review.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from ._browsing import PASSWORD, Browsing, screenshot, sign_up, unique_email
from ._serve import AuthgateServer, MakeServer

pytestmark = pytest.mark.browser

_UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter((el) => el.type !== 'hidden')
  .filter((el) => !(el.labels && el.labels.length)
    && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map((el) => el.id || el.name || el.outerHTML)"""

# No name, or an aria-label that hides the visible text (WCAG 2.5.3 Label in Name).
_BADLY_NAMED_CONTROLS = """() => [...document.querySelectorAll('button, a[href]')]
  .filter((el) => {
    const text = el.textContent.trim().toLowerCase();
    const label = (el.getAttribute('aria-label') || '').toLowerCase();
    return !(text || label) || (label && !label.startsWith(text));
  })
  .map((el) => el.outerHTML)"""


def test_every_control_has_a_name(server: AuthgateServer, browsing: Browsing) -> None:
    """Every input has a <label> (or an ARIA name), every button and link has
    a name that starts with its visible text; the forms have inputs at all
    (the check is not vacuous)."""
    page = browsing.page()
    sign_up(page, server, unique_email())
    inputs = 0
    for name in ("sign-up", "sign-in", "account", "sessions", "sign-out"):
        page.goto(server.url(f"/ui/{name}"))
        if name == "sessions":  # its buttons are rendered from /auth/sessions
            expect(page.locator("#sessions tbody button")).to_have_count(1)
        assert page.evaluate(_UNLABELLED) == [], name
        assert page.evaluate(_BADLY_NAMED_CONTROLS) == [], name
        inputs += page.locator("input").count()
    assert inputs == 4  # email + password on sign-up and on sign-in


def _alert(page: Page) -> str:
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    return alert.inner_text()


def _submit_sign_in(page: Page, server: AuthgateServer, email: str, password: str) -> None:
    page.goto(server.url("/ui/sign-in"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_errors_are_announced_in_alerts(make_server: MakeServer, browsing: Browsing) -> None:
    """Wrong password, weak password, a taken email and throttling each show
    a plain message in a role=alert region, and the page stays put."""
    server = make_server(login_account_limit=2, login_base_delay=60)
    email = unique_email()
    page = browsing.page()

    page.goto(server.url("/ui/sign-up"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Create account").click()
    assert _alert(page).startswith("Choose a stronger password:")
    expect(page.get_by_role("alert").get_by_role("listitem")).not_to_have_count(0)
    screenshot(page, "error-weak-password")

    sign_up(page, server, email)
    page.context.clear_cookies()
    page.goto(server.url("/ui/sign-up"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    assert _alert(page).startswith("An account with this email already exists")
    screenshot(page, "error-email-taken")

    for _ in range(2):
        _submit_sign_in(page, server, email, "Wrong-Password-0000")
        assert _alert(page) == "Email or password is incorrect."
    screenshot(page, "error-wrong-password")
    _submit_sign_in(page, server, email, PASSWORD)  # right, but too soon
    text = _alert(page)
    assert text.startswith("Too many attempts. Try again in ")
    assert text.endswith(" seconds.")
    assert page.url == server.url("/ui/sign-in")
    screenshot(page, "error-throttled")
    assert server.codes("login.throttled") != []


def test_keyboard_only_sign_in(server: AuthgateServer, browsing: Browsing) -> None:
    """Tab reaches the email field, then the password field; Enter submits
    and lands on the account page — no pointer needed."""
    email = unique_email()
    setup = browsing.page()
    sign_up(setup, server, email)
    page = browsing.page()
    page.goto(server.url("/ui/sign-in"))
    screenshot(page, "sign-in")
    focused: list[str] = []
    for _ in range(10):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
        if focused[-1] == "email":
            break
    assert focused[-1] == "email", focused
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/ui/account")
    expect(page.locator("#me-email")).to_have_text(email)
