"""Login throttling per account and per client IP, with exponential backoff.

Limits are set small (3 failures, 30 s base delay) and time moves only on
the server's ManualClock.
"""

from __future__ import annotations

import httpx
import pytest

from ._fixtures import MakeApi, MakeServer
from ._live import STRONG_PASSWORD, ApiClient, LiveServer, assert_problem, unique_email

WRONG = "Wrong-Horse-Battery-1"


@pytest.fixture
def throttled(make_server: MakeServer) -> LiveServer:
    return make_server(login_account_limit=3, login_ip_limit=100, login_base_delay=30.0)


def _login(api: ApiClient, email: str, password: str, **headers: str) -> httpx.Response:
    return api.post(
        "/auth/login", json={"email": email, "password": password}, headers=headers, auth=False
    )


def _assert_throttled(response: httpx.Response, retry_after: int) -> None:
    body = assert_problem(response, 429, "throttled")
    assert response.headers["retry-after"] == str(retry_after)
    assert body["retry_after"] == retry_after


def test_account_throttle_backs_off_exponentially(throttled: LiveServer, make_api: MakeApi) -> None:
    """After 3 failures the account answers 429 ``throttled`` with Retry-After
    (30 s, then 60 s, then 120 s); waiting it out allows exactly one attempt,
    and while throttled even the right password is refused."""
    api = make_api(throttled)
    email = unique_email()
    api.register(email, STRONG_PASSWORD)
    for _ in range(3):
        assert_problem(_login(api, email, WRONG), 401, "invalid_credentials")
    _assert_throttled(_login(api, email, WRONG), 31)
    _assert_throttled(_login(api, email, STRONG_PASSWORD), 31)
    throttled.clock.advance(29)
    _assert_throttled(_login(api, email, WRONG), 2)

    throttled.clock.advance(2)  # 31 s after the third failure
    assert_problem(_login(api, email, WRONG), 401, "invalid_credentials")
    _assert_throttled(_login(api, email, WRONG), 61)
    throttled.clock.advance(61)
    assert_problem(_login(api, email, WRONG), 401, "invalid_credentials")
    _assert_throttled(_login(api, email, STRONG_PASSWORD), 121)
    assert "throttled" in throttled.event_codes("login.throttled")


def test_success_resets_the_account_counter(throttled: LiveServer, make_api: MakeApi) -> None:
    """A successful login clears the account's failures: three more wrong
    passwords are answered 401 before the next 429."""
    api = make_api(throttled)
    email = unique_email()
    api.register(email, STRONG_PASSWORD)
    for _ in range(3):
        _login(api, email, WRONG)
    throttled.clock.advance(31)
    assert _login(api, email, STRONG_PASSWORD).status_code == 200
    for _ in range(3):
        assert_problem(_login(api, email, WRONG), 401, "invalid_credentials")
    _assert_throttled(_login(api, email, WRONG), 31)


def test_throttle_is_per_account(throttled: LiveServer, make_api: MakeApi) -> None:
    """One throttled account does not lock out another from the same IP
    (below the IP limit), and the email's case does not reset the count."""
    api = make_api(throttled)
    victim, bystander = unique_email(), unique_email()
    api.register(victim, STRONG_PASSWORD)
    api.register(bystander, STRONG_PASSWORD)
    for attempt in range(3):
        _login(api, victim.upper() if attempt % 2 else victim, WRONG)
    _assert_throttled(_login(api, victim.upper(), STRONG_PASSWORD), 31)
    assert _login(api, bystander, STRONG_PASSWORD).status_code == 200


def test_unknown_accounts_are_throttled_too(throttled: LiveServer, make_api: MakeApi) -> None:
    """Guessing against an unregistered email is throttled like a real one
    (the 429 must not reveal which emails exist)."""
    api = make_api(throttled)
    ghost = unique_email("ghost")
    for _ in range(3):
        assert_problem(_login(api, ghost, WRONG), 401, "invalid_credentials")
    _assert_throttled(_login(api, ghost, WRONG), 31)


def test_ip_limit_spans_accounts(make_server: MakeServer, make_api: MakeApi) -> None:
    """Password spraying: failures against different accounts from one IP
    add up to the IP limit, after which every account is refused from it."""
    server = make_server(login_account_limit=100, login_ip_limit=3, login_base_delay=30.0)
    api = make_api(server)
    email = unique_email()
    api.register(email, STRONG_PASSWORD)
    for _ in range(3):
        assert_problem(_login(api, unique_email("sprayed"), WRONG), 401, "invalid_credentials")
    _assert_throttled(_login(api, unique_email("sprayed"), WRONG), 31)
    _assert_throttled(_login(api, email, STRONG_PASSWORD), 31)


def test_ip_counter_survives_a_successful_login(make_server: MakeServer, make_api: MakeApi) -> None:
    """One good password does not launder an IP's failures."""
    server = make_server(login_account_limit=100, login_ip_limit=3, login_base_delay=30.0)
    api = make_api(server)
    email = unique_email()
    api.register(email, STRONG_PASSWORD)
    for _ in range(2):
        _login(api, unique_email("sprayed"), WRONG)
    assert _login(api, email, STRONG_PASSWORD).status_code == 200
    _login(api, unique_email("sprayed"), WRONG)
    _assert_throttled(_login(api, unique_email("sprayed"), WRONG), 31)


def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    make_server: MakeServer, make_api: MakeApi
) -> None:
    """Without trusted proxies a client cannot pick its counter by sending
    X-Forwarded-For: spoofed addresses still count against 127.0.0.1, and
    the session records the real peer."""
    server = make_server(login_account_limit=100, login_ip_limit=3, login_base_delay=30.0)
    api = make_api(server)
    for n in range(3):
        response = _login(api, unique_email(), WRONG, **{"X-Forwarded-For": f"203.0.113.{n}"})
        assert_problem(response, 401, "invalid_credentials")
    spoofed = _login(api, unique_email(), WRONG, **{"X-Forwarded-For": "198.51.100.77"})
    _assert_throttled(spoofed, 31)
    assert {e.ip for e in server.events.named("login.failed")} == {"127.0.0.1"}


def test_forwarded_for_from_a_trusted_proxy_is_honoured(
    make_server: MakeServer, make_api: MakeApi
) -> None:
    """Behind a trusted proxy the client address comes from X-Forwarded-For:
    each client has its own IP counter, and sessions show the client's IP."""
    server = make_server(
        login_account_limit=100,
        login_ip_limit=3,
        login_base_delay=30.0,
        trusted_proxies=["127.0.0.1"],
    )
    api = make_api(server)
    for n in range(5):
        response = _login(api, unique_email(), WRONG, **{"X-Forwarded-For": f"203.0.113.{n}"})
        assert_problem(response, 401, "invalid_credentials")
    for _ in range(3):
        _login(api, unique_email(), WRONG, **{"X-Forwarded-For": "198.51.100.7"})
    _assert_throttled(_login(api, unique_email(), WRONG, **{"X-Forwarded-For": "198.51.100.7"}), 31)
    # A client spoofing its own XFF in front of the proxy gains nothing: the
    # proxy appends the real address, and the rightmost untrusted hop counts.
    chained = _login(api, unique_email(), WRONG, **{"X-Forwarded-For": "10.9.9.9, 198.51.100.7"})
    _assert_throttled(chained, 31)

    email = unique_email()
    api.register(email, STRONG_PASSWORD)
    ok = _login(api, email, STRONG_PASSWORD, **{"X-Forwarded-For": "192.0.2.44"})
    assert ok.status_code == 200
    sessions = api.get("/auth/sessions", token=ok.json()["access_token"]).json()
    assert [s["ip"] for s in sessions] == ["192.0.2.44"]
