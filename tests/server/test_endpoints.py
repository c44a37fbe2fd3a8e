"""Every endpoint of shared/API.md, in both transports, against a live server."""

from __future__ import annotations

import re
from pathlib import Path

from ._fixtures import Account, MakeApi, MakeBrowser
from ._live import (
    ACCESS_COOKIE,
    APP_ORIGIN,
    CSRF_COOKIE,
    REFRESH_COOKIE,
    STRONG_PASSWORD,
    ApiClient,
    Browser,
    LiveServer,
    assert_problem,
    jwt_claims,
    unique_email,
)

TOKEN_BODY_FIELDS = {
    "access_token",
    "token_type",
    "expires_in",
    "refresh_token",
    "refresh_expires_in",
}
COOKIE_BODY_FIELDS = {"csrf_token", "expires_in", "refresh_expires_in"}
SESSION_FIELDS = {"id", "created_at", "last_used_at", "ip", "user_agent", "current"}
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def _flip(segment: str, index: int) -> str:
    """``segment`` with one base64url character changed (still canonical)."""
    replacement = "B" if segment[index] == "A" else "A"
    return segment[:index] + replacement + segment[index + 1 :]


# --- register ---------------------------------------------------------------


def test_register_returns_201_with_an_opaque_id(api: ApiClient) -> None:
    """POST /auth/register answers 201 ``{id, email}``; the id (the future
    ``sub``) is random and reveals nothing of the email (pseudonymous ids)."""
    email = unique_email("Ada.Lovelace")
    response = api.post("/auth/register", json={"email": email, "password": STRONG_PASSWORD})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "email"}
    assert body["email"] == email
    assert body["id"] != email
    assert email.split("@")[0].lower() not in body["id"].lower()
    assert len(body["id"]) >= 20
    assert "set-cookie" not in response.headers
    other = api.register(unique_email("Ada.Lovelace"), STRONG_PASSWORD)
    assert other["id"] != body["id"]


def test_register_refuses_a_taken_email_in_any_case(api: ApiClient, account: Account) -> None:
    """Emails are unique case-insensitively: 409 ``email_taken``, for the same
    spelling and for another case."""
    for email in (account.email, account.email.upper(), f"  {account.email.title()} "):
        response = api.post("/auth/register", json={"email": email, "password": STRONG_PASSWORD})
        assert_problem(response, 409, "email_taken")


def test_register_refuses_a_weak_password_with_every_reason(api: ApiClient) -> None:
    """A weak password is 422 ``weak_password`` listing every broken rule."""
    response = api.post("/auth/register", json={"email": unique_email(), "password": "1234567"})
    body = assert_problem(response, 422, "weak_password")
    reasons = body["reasons"]
    assert any("at least 8" in r for r in reasons)
    assert any("numeric" in r for r in reasons)
    assert any("common" in r for r in reasons)
    email = unique_email()
    response = api.post("/auth/register", json={"email": email, "password": email})
    assert any("email" in r for r in assert_problem(response, 422, "weak_password")["reasons"])


def test_register_refuses_a_bad_email(api: ApiClient) -> None:
    """An address that is not ``name@domain.tld`` is 422 ``invalid_email``."""
    for email in ("not-an-email", "a@b", "two@@example.test", "sp ace@example.test", ""):
        response = api.post("/auth/register", json={"email": email, "password": STRONG_PASSWORD})
        assert_problem(response, 422, "invalid_email")


def test_register_with_login_in_cookie_mode(browser: Browser) -> None:
    """``"login": true`` starts a session: cookie transport sets the cookies and
    returns the CSRF token, never a token in the body."""
    email = unique_email()
    response = browser.post(
        "/auth/register", json={"email": email, "password": STRONG_PASSWORD, "login": True}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "email", *COOKIE_BODY_FIELDS}
    assert body["email"] == email
    assert {ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE} <= set(browser.last_set)
    assert body["csrf_token"] == browser.csrf_token
    me = browser.get("/auth/me")
    assert me.status_code == 200
    assert me.json() == {"id": body["id"], "email": email, "role": "user"}


def test_register_with_login_in_bearer_mode(api: ApiClient) -> None:
    """Bearer register-with-login returns ``{id, email}`` plus the token body."""
    email = unique_email()
    response = api.post(
        "/auth/register", json={"email": email, "password": STRONG_PASSWORD, "login": True}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "email", *TOKEN_BODY_FIELDS}
    assert "set-cookie" not in response.headers
    me = api.get("/auth/me", token=body["access_token"])
    assert me.json() == {"id": body["id"], "email": email, "role": "user"}


# --- login ------------------------------------------------------------------


def test_cookie_login_puts_tokens_only_in_cookies(browser: Browser, account: Account) -> None:
    """Cookie login: the body has ``csrf_token`` and the lifetimes, no token."""
    response = browser.login(account.email, account.password)
    body = response.json()
    assert set(body) == COOKIE_BODY_FIELDS
    assert body["expires_in"] == 900
    assert body["refresh_expires_in"] == 604800
    access, refresh = browser.access_token, browser.refresh_token
    assert access is not None
    assert refresh is not None
    assert access not in response.text
    assert refresh not in response.text
    assert jwt_claims(access)["sub"] == account.id
    assert body["csrf_token"] == browser.csrf_token


def test_bearer_login_returns_the_oauth_token_body(api: ApiClient, account: Account) -> None:
    """Bearer login: exactly the API.md token fields, no cookies."""
    response = api.post("/auth/login", json={"email": account.email, "password": account.password})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == TOKEN_BODY_FIELDS
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["refresh_expires_in"] == 604800
    assert "set-cookie" not in response.headers
    claims = jwt_claims(body["access_token"])
    assert claims["sub"] == account.id
    assert account.email not in str(claims)
    assert jwt_claims(body["refresh_token"])["sid"] == claims["sid"]


def test_login_accepts_the_email_in_another_case(api: ApiClient, account: Account) -> None:
    """Emails are case-insensitive at login as at registration."""
    api.login(account.email.upper(), account.password)
    assert api.get("/auth/me").json()["id"] == account.id


def test_wrong_password_is_401_with_www_authenticate(api: ApiClient, account: Account) -> None:
    """A wrong password is 401 ``invalid_credentials`` with an RFC 6750 challenge."""
    response = api.post("/auth/login", json={"email": account.email, "password": "Wrong-Horse-99"})
    assert_problem(response, 401, "invalid_credentials")
    assert response.headers["www-authenticate"].startswith("Bearer")


# --- me, sessions, csrf -----------------------------------------------------


def test_me_in_both_transports(browser: Browser, api: ApiClient, account: Account) -> None:
    """GET /auth/me answers ``{id, email, role}`` by cookie and by Bearer, and
    401 with a challenge without credentials."""
    browser.login(account.email, account.password)
    api.login(account.email, account.password)
    expected = {"id": account.id, "email": account.email, "role": "user"}
    assert browser.get("/auth/me").json() == expected
    assert api.get("/auth/me").json() == expected
    anonymous = api.get("/auth/me", auth=False)
    assert_problem(anonymous, 401, "missing_token")
    assert anonymous.headers["www-authenticate"].startswith("Bearer")


def test_sessions_list_marks_only_the_callers_session_current(
    server: LiveServer, make_browser: MakeBrowser, api: ApiClient, account: Account
) -> None:
    """GET /auth/sessions lists every live session with the API.md fields;
    ``current`` is true only for the caller's own."""
    laptop = make_browser(server, "laptop-firefox")
    laptop.login(account.email, account.password)
    api.login(account.email, account.password)
    from_api = api.get("/auth/sessions").json()
    from_laptop = laptop.get("/auth/sessions").json()
    assert len(from_api) == 2
    for listed in (from_api, from_laptop):
        for session in listed:
            assert set(session) == SESSION_FIELDS
            assert ISO_UTC.fullmatch(session["created_at"])
            assert ISO_UTC.fullmatch(session["last_used_at"])
            assert session["ip"] == "127.0.0.1"
    api_sid = jwt_claims(api.access_token or "")["sid"]
    laptop_sid = jwt_claims(laptop.access_token or "")["sid"]
    assert {s["id"]: s["current"] for s in from_api} == {api_sid: True, laptop_sid: False}
    assert {s["id"]: s["current"] for s in from_laptop} == {api_sid: False, laptop_sid: True}
    agents = {s["id"]: s["user_agent"] for s in from_api}
    assert agents == {api_sid: "api-client", laptop_sid: "laptop-firefox"}


def test_delete_session_revokes_that_device(
    server: LiveServer, make_browser: MakeBrowser, api: ApiClient, account: Account
) -> None:
    """DELETE /auth/sessions/{id} is 204 and ends that session at once: its
    access token is refused and its refresh token no longer refreshes."""
    phone = make_browser(server, "phone")
    phone.login(account.email, account.password)
    phone_sid = jwt_claims(phone.access_token or "")["sid"]
    api.login(account.email, account.password)
    response = api.delete(f"/auth/sessions/{phone_sid}")
    assert response.status_code == 204, response.text
    assert_problem(phone.get("/auth/me"), 401, "revoked")
    assert_problem(phone.post("/auth/refresh"), 401, "session_revoked")
    assert phone_sid not in {s["id"] for s in api.get("/auth/sessions").json()}
    assert api.get("/auth/me").status_code == 200
    assert_problem(api.delete(f"/auth/sessions/{phone_sid}"), 404, "not_found")


def test_delete_own_session_by_cookie_clears_the_cookies(
    browser: Browser, account: Account
) -> None:
    """Deleting the current session from the browser ends it and clears its cookies."""
    browser.login(account.email, account.password)
    sid = jwt_claims(browser.access_token or "")["sid"]
    response = browser.delete(f"/auth/sessions/{sid}")
    assert response.status_code == 204, response.text
    assert all(c.max_age == 0 for c in browser.last_set.values())
    assert set(browser.last_set) == {ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE}


def test_cannot_delete_another_users_session(
    server: LiveServer, make_api: MakeApi, api: ApiClient, account: Account
) -> None:
    """Another user's session id is 404 (not 403: its existence is not
    confirmed) and that session keeps working."""
    victim = make_api(server, "victim")
    victim.login(account.email, account.password)
    victim_sid = jwt_claims(victim.access_token or "")["sid"]
    attacker = make_api(server, "attacker")
    attacker_email = unique_email("attacker")
    attacker.register(attacker_email, STRONG_PASSWORD)
    attacker.login(attacker_email, STRONG_PASSWORD)
    assert_problem(attacker.delete(f"/auth/sessions/{victim_sid}"), 404, "not_found")
    assert_problem(attacker.delete("/auth/sessions/s_doesnotexist"), 404, "not_found")
    assert victim.get("/auth/me").status_code == 200
    assert victim_sid in {s["id"] for s in victim.get("/auth/sessions").json()}
    assert victim.refresh().status_code == 200


def test_csrf_endpoint_issues_a_working_token(browser: Browser, account: Account) -> None:
    """GET /auth/csrf returns a fresh CSRF token for the session (cookie set
    too) that state-changing cookie requests accept."""
    browser.login(account.email, account.password)
    first = browser.csrf_token
    del browser.jar[CSRF_COOKIE]  # the page lost it
    response = browser.get("/auth/csrf")
    assert response.status_code == 200, response.text
    token = response.json()["csrf_token"]
    assert set(response.json()) == {"csrf_token"}
    assert token != first
    assert browser.csrf_token == token
    assert response.headers["cache-control"] == "no-store"
    assert browser.post("/auth/logout").status_code == 204


def test_csrf_endpoint_needs_a_session(api: ApiClient) -> None:
    """Without credentials /auth/csrf is 401."""
    assert_problem(api.get("/auth/csrf", auth=False), 401, "missing_token")


# --- verify (gateways) ------------------------------------------------------


def test_verify_by_bearer_and_by_cookie(browser: Browser, api: ApiClient, account: Account) -> None:
    """GET /auth/verify is 200 with the identity headers for a valid access
    token from the Authorization header or from the access cookie."""
    api.login(account.email, account.password)
    response = api.get("/auth/verify")
    assert response.status_code == 200, response.text
    assert response.headers["x-auth-subject"] == account.id
    assert response.headers["x-auth-role"] == "user"
    assert response.headers["x-auth-token-id"] == jwt_claims(api.access_token or "")["jti"]
    browser.login(account.email, account.password)
    by_cookie = browser.get("/auth/verify")
    assert by_cookie.status_code == 200, by_cookie.text
    assert by_cookie.headers["x-auth-subject"] == account.id
    assert by_cookie.headers["x-auth-token-id"] == jwt_claims(browser.access_token or "")["jti"]
    head = api.request("HEAD", "/auth/verify")
    assert head.status_code == 200
    assert head.headers["x-auth-subject"] == account.id


def test_verify_refuses_bad_tokens_with_an_rfc6750_challenge(
    api: ApiClient, account: Account
) -> None:
    """A garbage, tampered or refresh token is 401 with
    ``WWW-Authenticate: Bearer ..., error="invalid_token"``."""
    api.login(account.email, account.password)
    access = api.access_token or ""
    header, payload, signature = access.split(".")
    for token, code in (
        ("garbage", "malformed"),
        (f"{header}.{_flip(payload, 10)}.{signature}", "bad_signature"),
        (f"{header}.{payload}.{_flip(signature, 10)}", "bad_signature"),
        (api.refresh_token or "", "wrong_type"),
    ):
        response = api.get("/auth/verify", token=token)
        assert_problem(response, 401, code)
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith("Bearer ")
        assert 'error="invalid_token"' in challenge
        assert token not in response.text


def test_verify_without_credentials_is_a_bare_challenge(api: ApiClient) -> None:
    """No credentials: 401 with a Bearer challenge and no error code
    (RFC 6750 §3.1: a request without authentication gets none)."""
    response = api.get("/auth/verify", auth=False)
    assert_problem(response, 401, "missing_token")
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer")
    assert "error=" not in challenge


def test_verify_checks_csrf_for_a_forwarded_state_changing_method(
    browser: Browser, account: Account
) -> None:
    """A gateway forwarding a cookie-authenticated POST gets the CSRF checks:
    without the token 403, with it 200."""
    browser.login(account.email, account.password)
    forwarded = {"X-Forwarded-Method": "POST"}
    assert_problem(browser.get("/auth/verify", headers=forwarded), 403, "csrf")
    with_token = {**forwarded, "X-CSRF-Token": browser.csrf_token or ""}
    assert browser.get("/auth/verify", headers=with_token).status_code == 200


def test_verify_reflects_revocation_and_expiry_at_once(
    server: LiveServer, make_api: MakeApi, account: Account
) -> None:
    """A token that verified a moment ago (the gateway's hot path) is refused
    as soon as its session is revoked, and 1 s after ``exp`` + leeway (900 s
    + 30 s) — not a request later."""
    gateway, other = make_api(server, "gateway"), make_api(server, "other")
    gateway.login(account.email, account.password)
    other.login(account.email, account.password)
    for _ in range(2):
        assert gateway.get("/auth/verify").status_code == 200
        assert other.get("/auth/verify").status_code == 200
    sid = jwt_claims(gateway.access_token or "")["sid"]
    assert other.delete(f"/auth/sessions/{sid}").status_code == 204
    assert_problem(gateway.get("/auth/verify"), 401, "revoked")

    server.clock.advance(900 + 30 - 1)
    assert other.get("/auth/verify").status_code == 200
    server.clock.advance(2)
    assert_problem(other.get("/auth/verify"), 401, "expired")
    assert_problem(other.get("/auth/me"), 401, "expired")


def test_verify_answers_alike_on_every_path(api: ApiClient, account: Account) -> None:
    """GET /auth/verify with a valid Bearer token (the gateway fast lane) and
    HEAD (the regular route) answer with the same identity, security, cache
    and CORS headers, also for a request from a configured browser origin."""
    api.login(account.email, account.password)
    compared = (
        "x-auth-subject",
        "x-auth-role",
        "x-auth-token-id",
        "cache-control",
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
        "content-security-policy",
        "access-control-allow-origin",
        "access-control-allow-credentials",
    )
    for headers in ({}, {"Origin": APP_ORIGIN}):
        fast = api.get("/auth/verify", headers=headers)
        routed = api.request("HEAD", "/auth/verify", headers=headers)
        assert fast.status_code == routed.status_code == 200
        differing = {
            name: (fast.headers.get(name), routed.headers.get(name))
            for name in compared
            if fast.headers.get(name) != routed.headers.get(name)
        }
        assert differing == {}, headers


# --- logout, logout-all, password ------------------------------------------


def test_cookie_logout_clears_cookies_and_revokes(
    browser: Browser, api: ApiClient, account: Account
) -> None:
    """Cookie logout: 204, all three cookies cleared with Max-Age=0, and the
    session's access and refresh tokens refused from then on."""
    browser.login(account.email, account.password)
    access, refresh = browser.access_token or "", browser.refresh_token or ""
    response = browser.post("/auth/logout")
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert set(browser.last_set) == {ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE}
    for cookie in browser.last_set.values():
        assert cookie.max_age == 0
        assert cookie.value == ""
    assert browser.last_set[REFRESH_COOKIE].path == "/auth/refresh"
    assert_problem(api.get("/auth/verify", token=access), 401, "revoked")
    assert_problem(api.get("/auth/me", token=access), 401, "revoked")
    assert_problem(api.refresh(refresh), 401, "session_revoked")


def test_bearer_logout_revokes_the_session(api: ApiClient, account: Account) -> None:
    """Bearer logout: 204, the access token and the family are revoked."""
    api.login(account.email, account.password)
    access, refresh = api.access_token or "", api.refresh_token or ""
    response = api.post("/auth/logout")
    assert response.status_code == 204, response.text
    assert_problem(api.get("/auth/verify", token=access), 401, "revoked")
    assert_problem(api.refresh(refresh), 401, "session_revoked")
    assert_problem(api.post("/auth/logout", token=access), 401, "revoked")


def test_logout_all_revokes_every_device(
    server: LiveServer, make_browser: MakeBrowser, make_api: MakeApi, account: Account
) -> None:
    """POST /auth/logout-all ends every session of the user on every device,
    and leaves other users alone."""
    laptop, phone = make_browser(server, "laptop"), make_browser(server, "phone")
    cli, other = make_api(server, "cli"), make_api(server, "other-user")
    for device in (laptop, phone):
        device.login(account.email, account.password)
    cli.login(account.email, account.password)
    other_email = unique_email("other")
    other.register(other_email, STRONG_PASSWORD)
    other.login(other_email, STRONG_PASSWORD)
    phone_refresh = phone.refresh_token or ""
    laptop_access = laptop.access_token or ""
    response = laptop.post("/auth/logout-all")
    assert response.status_code == 204, response.text
    assert {c.max_age for c in laptop.last_set.values()} == {0}
    assert laptop.access_token is None
    assert_problem(cli.get("/auth/me", token=laptop_access), 401, "revoked")
    assert_problem(phone.get("/auth/me"), 401, "revoked")
    assert_problem(cli.get("/auth/me"), 401, "revoked")
    assert_problem(cli.refresh(), 401, "session_revoked")
    assert_problem(cli.refresh(phone_refresh), 401, "session_revoked")
    assert other.get("/auth/me").status_code == 200
    assert other.refresh().status_code == 200
    assert "logout_all" in server.event_codes("session.revoked")


def test_password_change_revokes_only_the_other_sessions(
    server: LiveServer, make_browser: MakeBrowser, api: ApiClient, account: Account
) -> None:
    """POST /auth/password is 204; every other session is revoked, the
    current one survives, and only the new password logs in."""
    laptop = make_browser(server, "laptop")
    laptop.login(account.email, account.password)
    api.login(account.email, account.password)
    new_password = "Marble-Orchid-Tundra-4821"
    response = laptop.post(
        "/auth/password",
        json={"current_password": account.password, "new_password": new_password},
    )
    assert response.status_code == 204, response.text
    assert laptop.get("/auth/me").status_code == 200
    assert laptop.post("/auth/refresh").status_code == 200
    assert_problem(api.get("/auth/me"), 401, "revoked")
    assert_problem(api.refresh(), 401, "session_revoked")
    old = api.post("/auth/login", json={"email": account.email, "password": account.password})
    assert_problem(old, 401, "invalid_credentials")
    api.login(account.email, new_password)


def test_password_change_refusals_change_nothing(
    server: LiveServer, make_api: MakeApi, api: ApiClient, account: Account
) -> None:
    """A wrong current password is 401, a weak new one 422 with reasons; in
    both cases the password and the other sessions are unchanged."""
    other = make_api(server, "other-device")
    other.login(account.email, account.password)
    api.login(account.email, account.password)
    wrong = api.post(
        "/auth/password",
        json={
            "current_password": "Not-The-Password-1",
            "new_password": "Marble-Orchid-Tundra-4821",
        },
    )
    assert_problem(wrong, 401, "invalid_credentials")
    weak = api.post(
        "/auth/password", json={"current_password": account.password, "new_password": "password"}
    )
    assert "too common" in " ".join(assert_problem(weak, 422, "weak_password")["reasons"])
    same = api.post(
        "/auth/password",
        json={"current_password": account.password, "new_password": account.password},
    )
    assert_problem(same, 422, "weak_password")
    assert other.get("/auth/me").status_code == 200
    assert api.get("/auth/me").status_code == 200
    other.login(account.email, account.password)


# --- operations -------------------------------------------------------------


def test_jwks_is_empty_for_hmac_keys(api: ApiClient) -> None:
    """/.well-known/jwks.json publishes public keys only: none for HS256."""
    response = api.get("/.well-known/jwks.json", auth=False)
    assert response.status_code == 200
    assert response.json() == {"keys": []}


def test_healthz(api: ApiClient) -> None:
    """/healthz is 200 while the process is up."""
    response = api.get("/healthz", auth=False)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_when_the_database_answers(api: ApiClient) -> None:
    """/readyz is 200 and names the database check."""
    response = api.get("/readyz", auth=False)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "checks": {"database": True}}


def test_readyz_is_503_while_the_database_is_unreachable(
    server: LiveServer, api: ApiClient
) -> None:
    """/readyz is a 503 problem while the SQLite file cannot be opened (its
    directory moved away, pooled connections closed), and 200 again after."""
    db_dir = Path(server.settings.database_url.removeprefix("sqlite:///")).parent
    moved = db_dir.with_name("db-moved")
    server.call(server.runtime.engine.dispose())
    db_dir.rename(moved)
    try:
        response = api.get("/readyz", auth=False)
        body = assert_problem(response, 503, "not_ready")
        assert body["checks"] == {"database": False}
        login = api.post("/auth/login", json={"email": unique_email(), "password": "x" * 12})
        assert_problem(login, 503, "store_unavailable")
        assert login.headers["retry-after"] == "1"
    finally:
        moved.rename(db_dir)
    assert api.get("/readyz", auth=False).status_code == 200


def test_metrics_count_security_events_by_event_and_code(api: ApiClient, account: Account) -> None:
    """/metrics is Prometheus text with authgate_security_events_total by
    ``event`` and ``code``; a failed login is counted there."""
    api.post("/auth/login", json={"email": account.email, "password": "Wrong-Horse-99"})
    response = api.get("/metrics", auth=False)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "# TYPE authgate_security_events_total counter" in text
    assert (
        'authgate_security_events_total{code="invalid_credentials",event="login.failed"} 1.0'
        in text
    )
    assert 'authgate_security_events_total{code="created",event="register.succeeded"} 1.0' in text
    assert "authgate_http_request_duration_seconds_bucket" in text
    assert 'route="/auth/login"' in text
