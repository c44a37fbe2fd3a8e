"""Response headers: security headers everywhere, no caching of secrets, CORS."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from ._fixtures import Account
from ._live import APP_ORIGIN, EVIL_ORIGIN, STRONG_PASSWORD, ApiClient, Browser, unique_email

JSON = {"Content-Type": "application/json"}


def _assert_security_headers(response: httpx.Response) -> None:
    headers = response.headers
    where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
    assert headers.get("x-content-type-options") == "nosniff", where
    csp = headers.get("content-security-policy", "")
    assert headers.get("x-frame-options") == "DENY" or "frame-ancestors 'none'" in csp, where
    assert headers.get("referrer-policy") == "no-referrer", where
    assert len(headers.get_list("x-content-type-options")) == 1, where


def test_security_headers_on_every_kind_of_response(
    browser: Browser, api: ApiClient, account: Account
) -> None:
    """nosniff, no framing and no referrer on successes, 204s and every
    error status (400, 401, 403, 404, 405, 409, 413, 422)."""
    api.login(account.email, account.password)
    browser.login(account.email, account.password)
    login = {"email": account.email, "password": account.password}
    requests: list[Callable[[], httpx.Response]] = [
        lambda: api.get("/healthz", auth=False),
        lambda: api.get("/metrics", auth=False),
        lambda: api.get("/.well-known/jwks.json", auth=False),
        lambda: api.get("/auth/me"),
        lambda: api.get("/auth/verify"),
        lambda: api.get("/auth/sessions"),
        lambda: browser.get("/auth/csrf"),
        lambda: api.post("/auth/login", json=login, auth=False),
        lambda: api.post("/auth/register", content=b"{", headers=JSON, auth=False),
        lambda: api.get("/auth/me", auth=False),
        lambda: api.get("/auth/verify", token="garbage"),
        lambda: browser.post("/auth/logout", csrf=False),
        lambda: api.get("/nope", auth=False),
        lambda: api.get("/auth/login", auth=False),
        lambda: api.post("/auth/register", json=login, auth=False),
        lambda: api.post("/auth/login", content=b"x" * 70_000, headers=JSON, auth=False),
        lambda: api.post("/auth/login", json={}, auth=False),
        lambda: api.post("/auth/logout"),
    ]
    statuses = set()
    for send in requests:
        response = send()
        statuses.add(response.status_code)
        _assert_security_headers(response)
    assert {200, 204, 400, 401, 403, 404, 405, 409, 413, 422} <= statuses


def test_throttled_responses_carry_them_too(api: ApiClient, account: Account) -> None:
    """Even a 429 carries the security headers."""
    response = None
    for _ in range(6):
        response = api.post(
            "/auth/login", json={"email": account.email, "password": "Wrong-Horse-9"}, auth=False
        )
    assert response is not None
    assert response.status_code == 429
    _assert_security_headers(response)


def test_token_and_csrf_responses_are_not_cacheable(browser: Browser, api: ApiClient) -> None:
    """Every response that carries a token or a CSRF value says
    ``Cache-Control: no-store``."""
    email = unique_email()
    responses = [
        api.post(
            "/auth/register", json={"email": email, "password": STRONG_PASSWORD, "login": True}
        ),
        api.post("/auth/login", json={"email": email, "password": STRONG_PASSWORD}, auth=False),
        browser.post("/auth/login", json={"email": email, "password": STRONG_PASSWORD}),
        browser.get("/auth/csrf"),
        browser.get("/auth/refresh/csrf"),
        browser.post("/auth/refresh"),
    ]
    api.access_token = responses[1].json()["access_token"]
    api.refresh_token = responses[1].json()["refresh_token"]
    responses += [api.refresh(), api.get("/auth/verify")]
    for response in responses:
        assert response.status_code < 300, response.text
        assert "no-store" in response.headers.get("cache-control", ""), response.request.url
    error = api.get("/auth/verify", token="garbage")
    assert error.headers["cache-control"] == "no-store"


def test_cors_preflight_allows_the_configured_origin_with_credentials(api: ApiClient) -> None:
    """A preflight from a configured frontend origin is allowed with
    credentials and the CSRF header."""
    response = api.request(
        "OPTIONS",
        "/auth/logout",
        headers={
            "Origin": APP_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-csrf-token",
        },
        auth=False,
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "x-csrf-token" in allowed
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "vary" in response.headers
    _assert_security_headers(response)


@pytest.mark.parametrize("origin", [EVIL_ORIGIN, "null", "https://app.example.test.evil.example"])
def test_cors_preflight_refuses_other_origins(api: ApiClient, origin: str) -> None:
    """A preflight from any other origin gets no CORS grant."""
    response = api.request(
        "OPTIONS",
        "/auth/logout",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        auth=False,
    )
    assert response.status_code >= 400
    assert "access-control-allow-origin" not in response.headers
    _assert_security_headers(response)


def test_cors_simple_request_grants_only_the_configured_origin(
    browser: Browser, account: Account
) -> None:
    """Actual cross-origin responses name only the configured origin, never
    a wildcard or a reflected foreign origin."""
    browser.login(account.email, account.password)
    allowed = browser.get("/auth/me", headers={"Origin": APP_ORIGIN})
    assert allowed.headers["access-control-allow-origin"] == APP_ORIGIN
    assert allowed.headers["access-control-allow-credentials"] == "true"
    foreign = browser.get("/auth/me", headers={"Origin": EVIL_ORIGIN})
    assert "access-control-allow-origin" not in foreign.headers
