"""Fixtures of the browser tests: one Chromium, live servers, watched contexts.

Chromium is the Debian build at ``/usr/bin/chromium`` (or ``$AUTHGATE_CHROMIUM``)
driven by Playwright's sync API (``playwright install`` is never needed).
Without it every test here skips with the reason — unless
``AUTHGATE_REQUIRE_SERVICES=1`` (CI), where a missing browser is a failure.

authgate is addressed as ``http://localhost:<port>``: Chromium treats
localhost as a secure context, so ``Secure`` cookies and the ``__Host-`` /
``__Secure-`` prefixes behave as they do on https.  The HTTPS tests use the
names in :data:`TEST_HOSTS`, mapped to 127.0.0.1 by ``--host-resolver-rules``,
and a test certificate whose key Chromium is told to accept.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from authgate.config import Settings

from ._browsing import Browsing
from ._certs import TestCertificates, make_certificates
from ._serve import AuthgateServer, MakeServer, TlsFiles

CHROMIUM: Final = Path(os.environ.get("AUTHGATE_CHROMIUM", "/usr/bin/chromium"))
TEST_HOSTS: Final = ("app.authgate.test", "api.authgate.test", "evil.authgate.test")
CHROMIUM_ARGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP *.authgate.test 127.0.0.1",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "browser: drives Chromium (/usr/bin/chromium) against a live authgate; skips "
        "without it unless AUTHGATE_REQUIRE_SERVICES=1",
    )


@pytest.fixture(scope="package")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> TestCertificates:
    return make_certificates(tmp_path_factory.mktemp("tls"), TEST_HOSTS)


@pytest.fixture(scope="package")
def chromium(certificates: TestCertificates) -> Iterator[Browser]:
    """One headless Chromium for the whole package (contexts isolate tests)."""
    if not CHROMIUM.is_file():
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("AUTHGATE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason}; AUTHGATE_REQUIRE_SERVICES=1 requires it")
        pytest.skip(reason)
    manager = sync_playwright()
    playwright: Playwright = manager.start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                *CHROMIUM_ARGS,
                # Accept the test leaf's key (made for this run), and no other
                # untrusted certificate.
                f"--ignore-certificate-errors-spki-list={certificates.spki_sha256}",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture(autouse=True)
def _chromium_first(chromium: Browser) -> None:
    """Skip (or fail) before any server starts when there is no Chromium."""


@pytest.fixture
def browsing(chromium: Browser) -> Iterator[Browsing]:
    """Fresh browser contexts for this test; fails it on a CSP violation or
    an uncaught script error in any page."""
    session = Browsing(chromium)
    try:
        yield session
    finally:
        session.close()
    assert session.csp_violations() == [], "a page violated its Content-Security-Policy"
    assert session.errors == [], "a page script threw"


def settings_for(directory: Path, **overrides: Any) -> Callable[[str], Settings]:
    """Settings of a dev server at ``origin`` with its own database and secret."""
    database = directory / f"authgate-{secrets.token_hex(4)}.db"

    def build(origin: str) -> Settings:
        values: dict[str, Any] = {
            "dev": True,
            "public_url": origin,
            "cookie_secure": True,  # keep Secure and the cookie prefixes on localhost
            "jwt_secret": secrets.token_urlsafe(32),
            "database_url": f"sqlite:///{database}",
            "password_profile": "owasp-minimum",
            **overrides,
        }
        return Settings(**values)

    return build


@pytest.fixture(scope="package")
def stopping() -> Iterator[list[AuthgateServer]]:
    """Servers told to stop; uvicorn's graceful shutdown (~0.3 s) completes
    while later tests run, and is awaited once at the end."""
    servers: list[AuthgateServer] = []
    yield servers
    errors: list[BaseException] = []
    for server in servers:
        try:
            server.stop()
        except Exception as err:  # noqa: BLE001 - stop every server, then report
            errors.append(err)
    if errors:
        raise errors[0]


@pytest.fixture
def make_server(tmp_path: Path, stopping: list[AuthgateServer]) -> Iterator[MakeServer]:
    """Start an authgate; ``host``/``tls`` choose its address, the rest are settings."""
    started: list[AuthgateServer] = []

    def start(
        *, host: str = "localhost", tls: TlsFiles | None = None, **overrides: Any
    ) -> AuthgateServer:
        server = AuthgateServer(settings_for(tmp_path, **overrides), host=host, tls=tls)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.request_stop()
    stopping.extend(started)


@pytest.fixture
def server(make_server: MakeServer) -> AuthgateServer:
    return make_server()
