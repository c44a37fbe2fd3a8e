"""CSRF: every state-changing cookie request needs the session's CSRF token,
an allowed Origin (when sent) and a same-site Sec-Fetch-Site (when sent).

Each refusal must be a 403 that changes nothing on the server.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from ._fixtures import Account, MakeApi, MakeBrowser
from ._live import (
    APP_ORIGIN,
    EVIL_ORIGIN,
    PUBLIC_URL,
    STRONG_PASSWORD,
    ApiClient,
    Browser,
    LiveServer,
    assert_problem,
    jwt_claims,
    unique_email,
)

NEW_PASSWORD = "Marble-Orchid-Tundra-4821"
#: Well-formed (16-byte nonce, 32-byte MAC) but signed by nobody.
FORGED_TOKEN = "A" * 22 + "." + "B" * 43


@dataclass
class Scene:
    server: LiveServer
    account: Account
    victim: Browser  # the browser a cross-site page tries to ride
    other_tab: Browser  # another session of the same user
    device: ApiClient  # a third session, to see logout-all / password effects

    @property
    def device_sid(self) -> str:
        return str(jwt_claims(self.device.access_token or "")["sid"])


@pytest.fixture
def scene(
    server: LiveServer,
    make_browser: MakeBrowser,
    make_api: MakeApi,
    account: Account,
) -> Scene:
    victim, other_tab = make_browser(server, "victim"), make_browser(server, "other-tab")
    device = make_api(server, "device")
    victim.login(account.email, account.password)
    other_tab.login(account.email, account.password)
    device.login(account.email, account.password)
    return Scene(server, account, victim, other_tab, device)


ENDPOINTS: dict[str, tuple[str, str]] = {
    "logout": ("POST", "/auth/logout"),
    "logout-all": ("POST", "/auth/logout-all"),
    "password": ("POST", "/auth/password"),
    "delete-session": ("DELETE", "/auth/sessions/{device_sid}"),
    "refresh": ("POST", "/auth/refresh"),
}
SUCCESS = {"logout": 204, "logout-all": 204, "password": 204, "delete-session": 204, "refresh": 200}


def _attacks(scene: Scene) -> dict[str, dict[str, Any]]:
    """Request options per attack: everything else is the victim's own cookies."""
    right = scene.victim.csrf_token
    assert right is not None
    return {
        "missing token": {"csrf": False},
        "forged token": {"csrf": FORGED_TOKEN},
        "garbage token": {"csrf": "garbage"},
        "another session's token": {"csrf": scene.other_tab.csrf_token},
        "foreign Origin": {"csrf": right, "headers": {"Origin": EVIL_ORIGIN}},
        "opaque Origin": {"csrf": right, "headers": {"Origin": "null"}},
        "cross-site fetch": {"csrf": right, "headers": {"Sec-Fetch-Site": "cross-site"}},
    }


def _send(scene: Scene, endpoint: str, **options: Any) -> Any:
    method, path = ENDPOINTS[endpoint]
    body = None
    if endpoint == "password":
        body = {"current_password": scene.account.password, "new_password": NEW_PASSWORD}
    return scene.victim.request(
        method, path.format(device_sid=scene.device_sid), json=body, **options
    )


def _assert_unchanged(scene: Scene, before: Counter[str]) -> None:
    events = Counter(e.event for e in scene.server.events.events)
    assert events - before == Counter({"csrf.refused": 1}), events - before
    assert scene.victim.get("/auth/me").status_code == 200
    assert scene.device.get("/auth/me").status_code == 200
    assert scene.other_tab.get("/auth/me").status_code == 200
    listed = {s["id"] for s in scene.device.get("/auth/sessions").json()}
    assert jwt_claims(scene.victim.access_token or "")["sid"] in listed
    assert scene.device_sid in listed


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_cookie_requests_need_the_sessions_csrf_token_and_a_same_site_origin(
    scene: Scene, endpoint: str
) -> None:
    """Missing, forged, malformed or another session's CSRF token, a foreign
    or opaque Origin, or a cross-site fetch: 403 ``csrf``, one csrf.refused
    event, and no session, token or password changed.  Then the victim's own
    token from an allowed origin, same-site, succeeds."""
    victim_cookies = dict(scene.victim.jar)
    for attack, options in _attacks(scene).items():
        before = Counter(e.event for e in scene.server.events.events)
        response = _send(scene, endpoint, **options)
        assert response.status_code == 403, (attack, response.text)
        assert_problem(response, 403, "csrf")
        assert "set-cookie" not in response.headers, attack
        _assert_unchanged(scene, before)
        assert scene.victim.jar == victim_cookies, attack
    # The password is unchanged too.
    scene.device.login(scene.account.email, scene.account.password)

    refusals = len(scene.server.events.named("csrf.refused"))
    headers = {"Origin": APP_ORIGIN, "Sec-Fetch-Site": "same-site"}
    response = _send(scene, endpoint, headers=headers)
    assert response.status_code == SUCCESS[endpoint], response.text
    assert len(scene.server.events.named("csrf.refused")) == refusals


def test_refused_refresh_does_not_spend_the_refresh_token(scene: Scene) -> None:
    """A CSRF-refused cookie refresh leaves the refresh token unspent: the
    retry with the token rotates normally (no grace, no reuse)."""
    assert_problem(scene.victim.post("/auth/refresh", csrf=False), 403, "csrf")
    assert scene.victim.post("/auth/refresh").status_code == 200
    assert len(scene.server.events.named("refresh.rotated")) == 1
    assert not scene.server.events.named("refresh.grace")


def test_csrf_refusals_are_recorded_with_their_reason(scene: Scene) -> None:
    """Each refusal is a ``csrf.refused`` security event whose code says why."""
    right = scene.victim.csrf_token or ""
    scene.victim.post("/auth/logout", csrf=False)
    scene.victim.post("/auth/logout", csrf=right, headers={"Origin": EVIL_ORIGIN})
    scene.victim.post("/auth/logout", csrf=right, headers={"Sec-Fetch-Site": "cross-site"})
    refused = scene.server.events.named("csrf.refused")
    assert [e.code for e in refused] == ["csrf_token", "origin_not_allowed", "cross_site"]
    assert refused[0].user_id == scene.account.id
    assert refused[0].ip == "127.0.0.1"


def test_bearer_requests_need_no_csrf_token(scene: Scene) -> None:
    """Bearer-authenticated requests are exempt (a browser never adds the
    Authorization header by itself), even with a foreign Origin."""
    device = scene.device
    foreign = {"Origin": EVIL_ORIGIN, "Sec-Fetch-Site": "cross-site"}
    victim_sid = jwt_claims(scene.victim.access_token or "")["sid"]
    assert device.delete(f"/auth/sessions/{victim_sid}", headers=foreign).status_code == 204
    response = device.post(
        "/auth/password",
        json={"current_password": scene.account.password, "new_password": NEW_PASSWORD},
        headers=foreign,
    )
    assert response.status_code == 204, response.text
    assert device.refresh().status_code == 200
    assert device.post("/auth/logout-all", headers=foreign).status_code == 204
    device.login(scene.account.email, NEW_PASSWORD)
    assert device.post("/auth/logout", headers=foreign).status_code == 204
    assert not scene.server.events.named("csrf.refused")


@pytest.mark.parametrize(
    "headers",
    [{"Origin": EVIL_ORIGIN}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}],
)
def test_cookie_login_from_a_foreign_site_is_refused(
    browser: Browser, account: Account, headers: dict[str, str]
) -> None:
    """Login CSRF: a cookie-mode login from a foreign origin is 403 and sets
    no cookie (there is no session, so no token, to check yet)."""
    response = browser.post(
        "/auth/login", json={"email": account.email, "password": account.password}, headers=headers
    )
    assert_problem(response, 403, "csrf")
    assert browser.jar == {}
    register = browser.post(
        "/auth/register",
        json={"email": unique_email(), "password": STRONG_PASSWORD, "login": True},
        headers=headers,
    )
    assert_problem(register, 403, "csrf")
    assert browser.jar == {}


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": APP_ORIGIN},
        {"Origin": PUBLIC_URL},
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "same-site", "Origin": APP_ORIGIN},
        {},
    ],
)
def test_cookie_login_from_an_allowed_origin_works(
    browser: Browser, account: Account, headers: dict[str, str]
) -> None:
    """Allowed origins (own public URL, configured CORS origins), same-site
    fetches and non-browser clients (neither header) may log in."""
    response = browser.post(
        "/auth/login", json={"email": account.email, "password": account.password}, headers=headers
    )
    assert response.status_code == 200, response.text


def test_bearer_login_ignores_the_origin(api: ApiClient, account: Account) -> None:
    """Bearer login sets no cookie, so there is nothing to ride: Origin is not checked."""
    response = api.post(
        "/auth/login",
        json={"email": account.email, "password": account.password},
        headers={"Origin": EVIL_ORIGIN},
        auth=False,
    )
    assert response.status_code == 200, response.text
