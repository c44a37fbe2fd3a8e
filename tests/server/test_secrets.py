"""Secrets never leave: no token, password, secret or CSRF value in the
security log or the metrics, after a flow that exercises every event."""

from __future__ import annotations

import json

from ._fixtures import MakeApi, MakeBrowser
from ._live import (
    REFRESH_COOKIE,
    STRONG_PASSWORD,
    ApiClient,
    Browser,
    LiveServer,
    unique_email,
)

WRONG_PASSWORD = "Wrong-Horse-Battery-Staple-1"
NEW_PASSWORD = "Marble-Orchid-Tundra-4821"
WEAK_PASSWORD = "hunter22"


class Secrets:
    """Every secret value the flow handled."""

    def __init__(self, jwt_secret: str) -> None:
        self.values: set[str] = {jwt_secret, STRONG_PASSWORD, WRONG_PASSWORD, NEW_PASSWORD}
        self.values.add(WEAK_PASSWORD)

    def token(self, token: str | None) -> None:
        """A JWT: the whole token and its payload and signature segments."""
        assert token
        self.values.add(token)
        _, payload, signature = token.split(".")
        self.values.update({payload, signature})

    def browser(self, browser: Browser) -> None:
        self.token(browser.access_token)
        self.token(browser.refresh_token)
        assert browser.csrf_token
        self.values.add(browser.csrf_token)
        self.values.update(browser.csrf_token.split("."))

    def api(self, api: ApiClient) -> None:
        self.token(api.access_token)
        self.token(api.refresh_token)

    def found_in(self, text: str) -> list[str]:
        return sorted(v for v in self.values if v in text)


def _full_flow(
    server: LiveServer, browser: Browser, api: ApiClient, other: ApiClient, seen: Secrets
) -> None:
    email = unique_email()
    api.register(email, STRONG_PASSWORD)
    api.post("/auth/register", json={"email": email, "password": STRONG_PASSWORD})  # taken
    api.post("/auth/register", json={"email": unique_email(), "password": WEAK_PASSWORD})
    api.post("/auth/login", json={"email": email, "password": WRONG_PASSWORD}, auth=False)
    api.post("/auth/login", json={"email": unique_email(), "password": WRONG_PASSWORD}, auth=False)

    browser.login(email, STRONG_PASSWORD)
    seen.browser(browser)
    browser.post("/auth/logout", csrf=False)  # csrf.refused
    browser.post("/auth/logout", csrf="forged.token")
    assert browser.post("/auth/refresh").status_code == 200
    seen.browser(browser)

    api.login(email, STRONG_PASSWORD)
    seen.api(api)
    spent = api.refresh_token
    assert api.refresh().status_code == 200
    seen.api(api)
    server.clock.advance(60)
    assert api.refresh(spent).status_code == 401  # reuse: family revoked

    access = api.access_token or ""
    header, payload, signature = access.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    seen.values.add(tampered)
    assert api.get("/auth/verify", token="garbage-token-value").status_code == 401
    assert api.get("/auth/verify", token=tampered).status_code == 401
    assert api.refresh("garbage-refresh-value").status_code == 401
    seen.values.update({"garbage-token-value", "garbage-refresh-value"})

    other.login(email, STRONG_PASSWORD)
    seen.api(other)
    other.post(
        "/auth/password", json={"current_password": WRONG_PASSWORD, "new_password": NEW_PASSWORD}
    )
    other.post(
        "/auth/password", json={"current_password": STRONG_PASSWORD, "new_password": WEAK_PASSWORD}
    )
    assert (
        other.post(
            "/auth/password",
            json={"current_password": STRONG_PASSWORD, "new_password": NEW_PASSWORD},
        ).status_code
        == 204
    )
    assert other.post("/auth/logout-all").status_code == 204
    browser.jar.pop(REFRESH_COOKIE, None)
    browser.post("/auth/logout")


def test_log_and_metrics_contain_no_secret(
    server: LiveServer,
    make_browser: MakeBrowser,
    make_api: MakeApi,
    jwt_secret: str,
) -> None:
    """After register, login in both transports, refresh, reuse, failed
    verifications (garbage, tampered), password changes and logouts, neither
    the JSON log nor /metrics contains any token, token segment, password,
    the JWT secret or a CSRF token; every log line is JSON with ``event`` and
    ``code``."""
    seen = Secrets(jwt_secret)
    browser, api, other = make_browser(server), make_api(server), make_api(server, "other")
    _full_flow(server, browser, api, other, seen)

    log = server.log.getvalue()
    metrics = api.get("/metrics", auth=False).text
    assert seen.found_in(log) == []
    assert seen.found_in(metrics) == []

    lines = log.splitlines()
    events = set()
    for line in lines:
        record = json.loads(line)
        assert isinstance(record["event"], str)
        assert isinstance(record["code"], str)
        events.add(record["event"])
    expected = {
        "register.succeeded",
        "login.failed",
        "login.succeeded",
        "csrf.refused",
        "refresh.rotated",
        "refresh.reuse_detected",
        "token.verify_failed",
        "refresh.failed",
        "password.changed",
        "session.revoked",
    }
    assert expected <= events, expected - events
    failed = [json.loads(line) for line in lines if '"token.verify_failed"' in line]
    assert all(len(r["fingerprint"]) == 12 for r in failed)


def test_error_responses_do_not_echo_secrets(
    server: LiveServer, api: ApiClient, jwt_secret: str
) -> None:
    """Problem details never repeat the presented token or password."""
    email = unique_email()
    weak = api.post("/auth/register", json={"email": email, "password": WEAK_PASSWORD})
    assert WEAK_PASSWORD not in weak.text
    wrong = api.post("/auth/login", json={"email": email, "password": WRONG_PASSWORD}, auth=False)
    assert WRONG_PASSWORD not in wrong.text
    bad = api.get("/auth/verify", token="eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl")
    assert "eyJzdWIiOiJ4In0" not in bad.text
    assert "eyJzdWIiOiJ4In0" not in bad.headers["www-authenticate"]
    assert jwt_secret not in weak.text + wrong.text + bad.text
