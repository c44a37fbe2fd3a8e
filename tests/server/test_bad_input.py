"""Bad input gets a clear 4xx problem, never a 5xx, and never loses data."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ._fixtures import Account, Reaper, module_server
from ._live import STRONG_PASSWORD, ApiClient, LiveServer, assert_problem, unique_email

LIMIT = 64 * 1024
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, reaper: Reaper) -> Iterator[LiveServer]:
    """One server for this module: bad requests need no isolation (every
    test registers its own accounts)."""
    yield from module_server(tmp_path_factory, reaper)


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"email": "a@example.test", "password": ', b"[1, 2,]", b"\x00"],
)
def test_malformed_json_is_400(api: ApiClient, body: bytes) -> None:
    """A body that is not JSON is 400 ``malformed_json`` (problem+json)."""
    for path in ("/auth/login", "/auth/register"):
        response = api.post(path, content=body, headers=JSON, auth=False)
        assert_problem(response, 400, "malformed_json")


@pytest.mark.parametrize("body", [b"\xff\xfe\x00", b'{"email": "\xff@example.test"}'])
def test_json_that_is_not_utf8_is_400_malformed_json(api: ApiClient, body: bytes) -> None:
    """A body that is not UTF-8 is malformed JSON too (RFC 8259 §8.1), with
    the same stable code clients branch on, not a generic one."""
    response = api.post("/auth/login", content=body, headers=JSON, auth=False)
    assert_problem(response, 400, "malformed_json")


@pytest.mark.parametrize(
    "body",
    [
        {"email": 1, "password": ["x"]},
        {"email": None, "password": None},
        {"email": "a@example.test"},
        {},
        [],
        "just a string",
        {"email": "a@example.test", "password": STRONG_PASSWORD, "role": "admin"},
        {"email": {"$ne": ""}, "password": {"$ne": ""}},
    ],
)
def test_wrong_types_missing_or_extra_fields_are_422(api: ApiClient, body: object) -> None:
    """Wrong types, missing fields and unknown fields (no mass assignment of
    ``role``) are 422 ``validation_error`` naming the fields."""
    for path in ("/auth/login", "/auth/register"):
        response = api.post(path, json=body, auth=False)
        problem = assert_problem(response, 422, "validation_error")
        assert problem["errors"]
        assert all({"field", "problem"} <= set(e) for e in problem["errors"])


def test_register_with_a_role_field_creates_nothing(server: LiveServer, api: ApiClient) -> None:
    """An extra ``role`` is refused outright, so nobody registers as admin."""
    email = unique_email()
    response = api.post(
        "/auth/register",
        json={"email": email, "password": STRONG_PASSWORD, "role": "admin"},
        auth=False,
    )
    assert_problem(response, 422, "validation_error")
    assert server.call(server.runtime.accounts.users.get_by_email(email)) is None


def test_refresh_and_password_bodies_are_validated(api: ApiClient, account: Account) -> None:
    """Refresh and password bodies get the same 400/422 treatment."""
    api.login(account.email, account.password)
    assert_problem(api.post("/auth/refresh", json={"refresh_token": 5}), 422, "validation_error")
    assert_problem(api.post("/auth/refresh", json={"token": "x"}), 422, "validation_error")
    assert_problem(api.post("/auth/refresh", content=b"{", headers=JSON), 400, "malformed_json")
    assert_problem(api.post("/auth/password", json={"new_password": "x"}), 422, "validation_error")
    assert_problem(api.post("/auth/password", content=b"nope", headers=JSON), 400, "malformed_json")
    assert api.get("/auth/me").status_code == 200


def test_body_over_64_kib_with_content_length_is_413(api: ApiClient) -> None:
    """A declared body over 64 KiB is 413 ``body_too_large`` before parsing."""
    body = b'{"email": "' + b"a" * LIMIT + b'", "password": "x"}'
    for path in ("/auth/login", "/auth/register", "/auth/refresh", "/auth/password"):
        response = api.post(path, content=body, headers=JSON, auth=False)
        assert_problem(response, 413, "body_too_large")


def test_body_over_64_kib_chunked_is_413(api: ApiClient) -> None:
    """A chunked body (no Content-Length) is cut off at 64 KiB with 413 too."""

    def chunks() -> Iterator[bytes]:
        yield b'{"email": "'
        for _ in range(80):
            yield b"a" * 1024
        yield b'", "password": "x"}'

    response = api.post("/auth/login", content=chunks(), headers=JSON, auth=False)
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_problem(response, 413, "body_too_large")


def test_body_just_under_the_limit_is_parsed(api: ApiClient) -> None:
    """The cap is 64 KiB exactly: a body at the limit is parsed (here: 422
    for the over-long email field, not 413)."""
    prefix, suffix = b'{"email": "', b'@example.test", "password": "x"}'
    body = prefix + b"a" * (LIMIT - len(prefix) - len(suffix)) + suffix
    assert len(body) == LIMIT
    response = api.post("/auth/login", content=body, headers=JSON, auth=False)
    assert_problem(response, 422, "validation_error")


def test_oversized_fields_are_422(api: ApiClient) -> None:
    """Fields longer than their caps (email 10k characters, a 5k password)
    are 422 without hashing anything."""
    cases = [
        {"email": "a" * 10_000 + "@example.test", "password": STRONG_PASSWORD},
        {"email": unique_email(), "password": "p" * 5000},
    ]
    for body in cases:
        for path in ("/auth/login", "/auth/register"):
            response = api.post(path, json=body, auth=False)
            assert_problem(response, 422, "validation_error")


def test_long_password_within_the_field_cap_is_refused_by_policy(api: ApiClient) -> None:
    """A 2000-byte password fits the schema but not the 1024-byte policy:
    registration says so (422 weak_password), login simply fails (401)."""
    email = unique_email()
    response = api.post(
        "/auth/register", json={"email": email, "password": "Zx9-" * 500}, auth=False
    )
    assert "1024 bytes" in " ".join(assert_problem(response, 422, "weak_password")["reasons"])
    login = api.post("/auth/login", json={"email": email, "password": "Zx9-" * 500}, auth=False)
    assert_problem(login, 401, "invalid_credentials")


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer",
        "Bearer a b",
        "Bearer  a",
        "Bearer " + "A" * 9 * 1024,
        "Bearer " + "a.b.c",
        "Bearer ..",
        "Bearer e30.e30.e30",
        "bearer garbage",
        "Bearer tökén",
        "Bearer \u00e9t\u00e9.\u00e9t\u00e9.\u00e9t\u00e9",
    ],
)
def test_bad_authorization_headers_are_401(api: ApiClient, authorization: str) -> None:
    """Broken Bearer headers (no token, two tokens, 9 KiB, non-ASCII, junk
    segments) are 401 with a challenge, never 500."""
    for path in ("/auth/verify", "/auth/me", "/auth/sessions"):
        # Raw UTF-8 bytes on the wire, as a hostile client would send them.
        response = api.http.get(path, headers={b"Authorization": authorization.encode()})
        assert response.status_code == 401, (path, response.text)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.headers["content-type"] == "application/problem+json"


def test_oversized_token_is_refused_as_too_large(api: ApiClient) -> None:
    """A token over 8 KiB is refused before parsing: code ``too_large``."""
    response = api.get("/auth/verify", token="A" * 9 * 1024)
    assert_problem(response, 401, "too_large")


def test_other_authorization_schemes_count_as_no_credentials(api: ApiClient) -> None:
    """Basic or unknown schemes are not Bearer: 401 ``missing_token``."""
    for header in ("Basic dXNlcjpwYXNz", "Token abc", "Digest x"):
        response = api.get("/auth/verify", headers={"Authorization": header}, auth=False)
        assert_problem(response, 401, "missing_token")


def test_garbage_cookies_are_401(server: LiveServer) -> None:
    """Malformed access or refresh cookies are 401, never 500."""
    with httpx.Client(base_url=server.url) as client:
        for cookie in (
            "__Host-authgate_access=garbage",
            "__Host-authgate_access=" + "A" * 9000,
            '__Host-authgate_access="quoted"',
            "__Host-authgate_access=a.b.c; csrf_token=x",
        ):
            response = client.get("/auth/me", headers={"Cookie": cookie})
            assert response.status_code == 401, (cookie, response.text)
        refresh = client.post(
            "/auth/refresh", headers={"Cookie": "__Secure-authgate_refresh=a.b.c"}
        )
        assert refresh.status_code == 401


def test_unknown_route_is_a_404_problem(api: ApiClient) -> None:
    """Unknown paths are 404 problem+json ``not_found``."""
    for path in ("/nope", "/auth/nope", "/auth/sessions/a/b", "/.env", "/docs"):
        assert_problem(api.get(path, auth=False), 404, "not_found")


def test_wrong_method_is_a_405_problem(api: ApiClient) -> None:
    """A known path with the wrong method is 405 ``method_not_allowed`` with Allow."""
    for method, path in (
        ("GET", "/auth/login"),
        ("PUT", "/auth/register"),
        ("DELETE", "/auth/me"),
        ("POST", "/healthz"),
    ):
        response = api.request(method, path, auth=False)
        assert_problem(response, 405, "method_not_allowed")
        assert "allow" in response.headers


def test_session_id_path_parameter_is_bounded(api: ApiClient, account: Account) -> None:
    """An absurd session id is 422 (length cap) or 404, never 500."""
    api.login(account.email, account.password)
    assert_problem(api.delete("/auth/sessions/" + "x" * 500), 422, "validation_error")
    assert_problem(api.delete("/auth/sessions/%00%ff"), 404, "not_found")


def test_bad_input_never_loses_data(server: LiveServer, api: ApiClient, account: Account) -> None:
    """After a barrage of bad requests the account and its session still work."""
    api.login(account.email, account.password)
    for body in (b"{", b"[]", b"null", b'{"email": "' + account.email.encode() + b'"}'):
        api.post("/auth/register", content=body, headers=JSON, auth=False)
        api.post("/auth/password", content=body, headers=JSON)
    assert api.get("/auth/me").json()["email"] == account.email
    assert api.refresh().status_code == 200
    api.login(account.email, account.password)
