"""Browser contexts that record what the tests check, and UI helpers.

:class:`Browsing` opens isolated contexts (separate cookie jars: separate
"browsers" of one user, or a thief's) and records every console message and
uncaught page error, so a test can assert that no Content-Security-Policy
violation and no script error happened.
The helpers drive the built-in UI the way a person would: by labels and
buttons, not by calling the API.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Cookie,
    Page,
    ViewportSize,
    WebError,
    expect,
)

from ._serve import AuthgateServer

__all__ = [
    "ACCESS_COOKIE",
    "CSRF_COOKIE",
    "PASSWORD",
    "REFRESH_COOKIE",
    "SCREENSHOTS",
    "Browsing",
    "Logged",
    "cookies_by_name",
    "install_client",
    "screenshot",
    "sign_in",
    "sign_up",
    "unique_email",
]

ACCESS_COOKIE: Final = "__Host-authgate_access"
REFRESH_COOKIE: Final = "__Secure-authgate_refresh"
CSRF_COOKIE: Final = "csrf_token"
#: Long, random-looking and in no common-password list.
PASSWORD: Final = "Quartz-Lantern-Velvet-7319"
SCREENSHOTS: Final = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
_VIEWPORT: Final[ViewportSize] = {"width": 880, "height": 560}
_counter = itertools.count(1)


def unique_email(prefix: str = "ada") -> str:
    return f"{prefix}-{next(_counter)}-{time.monotonic_ns() % 10**9}@example.test"


@dataclass(frozen=True, slots=True)
class Logged:
    """One console message of a page."""

    context: int
    type: str
    text: str
    url: str


class Browsing:
    """The contexts of one test; :meth:`close` closes them all."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.console: list[Logged] = []
        self.errors: list[str] = []

    def context(self, **options: Any) -> BrowserContext:
        """A new, empty context (own cookies and storage), its console recorded."""
        context = self.browser.new_context(viewport=_VIEWPORT, **options)
        number = len(self.contexts)
        self.contexts.append(context)

        def record(message: ConsoleMessage) -> None:
            self.console.append(
                Logged(number, message.type, message.text, message.location.get("url", ""))
            )

        def failed(error: WebError) -> None:
            self.errors.append(f"{error.page.url if error.page else '?'}: {error.error}")

        context.on("console", record)
        context.on("weberror", failed)
        return context

    def page(self, context: BrowserContext | None = None) -> Page:
        """A new page, in a new context unless one is given."""
        return (context or self.context()).new_page()

    def csp_violations(self) -> list[str]:
        """Console reports of blocked content (Chromium logs each violation)."""
        return [m.text for m in self.console if "Content Security Policy" in m.text]

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


def cookies_by_name(context: BrowserContext) -> dict[str, Cookie]:
    """The context's cookies (HttpOnly ones included), by name."""
    return {cookie.get("name", ""): cookie for cookie in context.cookies()}


def screenshot(page: Page, name: str) -> Path:
    """Save the page under artifacts/screenshots/ (git-ignored) as ``name``.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _wait_for_account(page: Page, email: str) -> None:
    page.wait_for_url("**/ui/account")
    expect(page.locator("#me")).to_have_attribute("aria-busy", "false")
    expect(page.locator("#me-email")).to_have_text(email)


def sign_up(page: Page, server: AuthgateServer, email: str, password: str = PASSWORD) -> None:
    """Create an account on the sign-up page; it signs in and shows the account."""
    page.goto(server.url("/ui/sign-up"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()
    _wait_for_account(page, email)


def sign_in(page: Page, server: AuthgateServer, email: str, password: str = PASSWORD) -> None:
    """Sign in on the sign-in page and wait for the account page."""
    page.goto(server.url("/ui/sign-in"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    _wait_for_account(page, email)


def install_client(page: Page, base_url: str = "") -> None:
    """``window.authgate``: an AuthgateClient in the page, as application code
    would create one (the page's own client keeps running beside it)."""
    page.evaluate(
        """async (baseUrl) => {
          const { AuthgateClient } = await import('/ui/static/authgate.js');
          window.authgate = new AuthgateClient({ baseUrl });
        }""",
        base_url,
    )
