"""A real authgate server on loopback, and clients that behave like its users.

:class:`LiveServer` builds the runtime exactly as ``authgate serve`` does
(``build_runtime`` + ``create_app``) but with a :class:`ManualClock` the test
moves and event sinks the test reads, and runs uvicorn in a background thread
on its own event loop, bound to a free port on 127.0.0.1, over a real SQLite
file.

Cookies are ``Secure`` and the test server speaks plain http, so httpx's jar
would never send them back.  :class:`Browser` keeps cookies itself, parsed
from the raw ``Set-Cookie`` headers (``http.cookies``), and sends them the way
a browser on https would: by name, honouring ``Path`` and ``Max-Age=0``.
:class:`ApiClient` is the bearer transport (mobile app, CLI, service).
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import socket
import threading
import time
from collections.abc import Coroutine, Iterator, Mapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, Final, Self, TypeVar

import httpx
import uvicorn

from authgate.bootstrap import Runtime, build_runtime
from authgate.config import Settings
from authgate.core.clock import ManualClock
from authgate.server import Metrics, create_app
from authgate.service.events import FanoutSink, JsonLinesSink, MemorySink

__all__ = [
    "ACCESS_COOKIE",
    "APP_ORIGIN",
    "CSRF_COOKIE",
    "EVIL_ORIGIN",
    "PUBLIC_URL",
    "REFRESH_COOKIE",
    "STRONG_PASSWORD",
    "ApiClient",
    "Browser",
    "LiveServer",
    "SetCookie",
    "assert_problem",
    "jwt_claims",
    "make_settings",
    "set_cookies",
    "unique_email",
]

PUBLIC_URL: Final = "https://auth.example.test"
APP_ORIGIN: Final = "https://app.example.test"
EVIL_ORIGIN: Final = "https://evil.example"
ACCESS_COOKIE: Final = "__Host-authgate_access"
REFRESH_COOKIE: Final = "__Secure-authgate_refresh"
CSRF_COOKIE: Final = "csrf_token"
#: Long, random-looking and not in any common-password list.
STRONG_PASSWORD: Final = "Quartz-Lantern-Velvet-7319"
_STATE_CHANGING: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_START_TIMEOUT: Final = 30.0

T = TypeVar("T")
#: A raw body; an iterator is sent chunked (Transfer-Encoding: chunked).
Content = bytes | Iterator[bytes]
_counter = iter(range(1, 1_000_000))


def unique_email(prefix: str = "user") -> str:
    """A fresh address per call (tests share servers only with themselves)."""
    return f"{prefix}-{next(_counter)}-{time.monotonic_ns() % 10**9}@example.test"


def make_settings(database: Path, secret: str, **overrides: Any) -> Settings:
    """Production settings (dev=False) for a test server on ``database``."""
    values: dict[str, Any] = {
        "dev": False,
        "public_url": PUBLIC_URL,
        "jwt_secret": secret,
        "database_url": f"sqlite:///{database}",
        "password_profile": "owasp-minimum",
        "cors_origins": [APP_ORIGIN],
        **overrides,
    }
    return Settings(**values)


class LiveServer:
    """uvicorn serving ``create_app(build_runtime(settings))`` on 127.0.0.1.

    ``clock`` is the runtime's clock (advance it instead of sleeping),
    ``events`` every security event, ``log`` the JSON-lines log as written.
    """

    def __init__(self, settings: Settings, *, clock: ManualClock | None = None) -> None:
        self.settings = settings
        self.clock = clock or ManualClock(start=time.time())
        self.events = MemorySink()
        self.metrics = Metrics()
        self.log = io.StringIO()
        self._loop = asyncio.new_event_loop()
        self._error: BaseException | None = None
        try:
            self.runtime: Runtime = self._loop.run_until_complete(
                build_runtime(
                    settings,
                    clock=self.clock,
                    events=FanoutSink([self.events, self.metrics, JsonLinesSink(stream=self.log)]),
                )
            )
        except BaseException:
            self._close_loop()
            raise
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on such sockets
        # (with proto 0, Nagle + delayed ACKs add 40 ms to every response).
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(self.runtime, self.metrics)
        self._server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host="127.0.0.1",
                port=self.port,
                proxy_headers=False,
                log_level="warning",
                access_log=False,
            )
        )
        self._thread = threading.Thread(target=self._serve, name=f"authgate-{self.port}")
        self._stopped = False

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._server.serve(sockets=[self._sock]))
        except BaseException as err:  # noqa: BLE001 - reported by start()/stop()
            self._error = err

    def start(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                self.stop()
                raise RuntimeError(f"the test server did not start: {self._error!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the test server did not start in time")
            time.sleep(0.005)
        return self

    def call(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` on the server's event loop (where its engine lives)."""
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=30)

    def stop(self) -> None:
        """Stop serving, then close the runtime on the server's loop."""
        self.begin_stop()
        self.finish_stop()

    def begin_stop(self) -> None:
        """Ask uvicorn to exit (it notices within 0.1 s); see :meth:`finish_stop`."""
        self._server.should_exit = True

    def finish_stop(self) -> None:
        """Wait for uvicorn's graceful shutdown, then ``runtime.aclose()``.

        Takes ~0.2 s of uvicorn's fixed sleeps: fixtures hand it to a
        background thread so tests do not wait for it one by one.
        """
        if self._stopped:
            return
        self._stopped = True
        self._server.should_exit = True
        if self._thread.ident is not None:
            self._thread.join(timeout=15)
            if self._thread.is_alive():
                raise RuntimeError("the test server did not stop")
        self._sock.close()
        try:
            self._loop.run_until_complete(self.runtime.aclose())
        finally:
            self._close_loop()
        if self._error is not None and not isinstance(self._error, SystemExit):
            raise RuntimeError("the test server failed") from self._error

    def _close_loop(self) -> None:
        loop = self._loop
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    def log_lines(self) -> list[dict[str, Any]]:
        """Every log line, parsed (fails on a line that is not JSON)."""
        return [json.loads(line) for line in self.log.getvalue().splitlines()]

    def event_codes(self, name: str) -> list[str]:
        return [e.code for e in self.events.named(name)]


@dataclass(frozen=True, slots=True)
class SetCookie:
    """One ``Set-Cookie`` header, parsed."""

    name: str
    value: str
    path: str | None
    domain: str | None
    max_age: int | None
    secure: bool
    httponly: bool
    samesite: str | None
    raw: str

    @classmethod
    def parse(cls, header: str) -> SetCookie:
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        (name, morsel), *rest = jar.items()
        assert not rest, f"one cookie per Set-Cookie header, got {header!r}"
        max_age = morsel["max-age"]
        return cls(
            name=name,
            value=morsel.value,
            path=morsel["path"] or None,
            domain=morsel["domain"] or None,
            max_age=int(max_age) if max_age != "" else None,
            secure=bool(morsel["secure"]),
            httponly=bool(morsel["httponly"]),
            samesite=morsel["samesite"] or None,
            raw=header,
        )

    def applies_to(self, path: str) -> bool:
        """RFC 6265 §5.1.4 path-match."""
        prefix = self.path or "/"
        return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def set_cookies(response: httpx.Response) -> dict[str, SetCookie]:
    """The cookies a response sets, by name (raw headers, not httpx's jar)."""
    parsed = [SetCookie.parse(h) for h in response.headers.get_list("set-cookie")]
    return {c.name: c for c in parsed}


class _Client:
    def __init__(self, base_url: str, *, user_agent: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10.0)
        self.user_agent = user_agent

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _send(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        *,
        json_body: Any = None,
        content: Content | None = None,
    ) -> httpx.Response:
        headers.setdefault("User-Agent", self.user_agent)
        if content is not None:
            response = self.http.request(method, path, headers=headers, content=content)
        elif json_body is not None:
            response = self.http.request(method, path, headers=headers, json=json_body)
        else:
            response = self.http.request(method, path, headers=headers)
        self.http.cookies.clear()  # cookies are ours to keep, not httpx's
        return response


class Browser(_Client):
    """Cookie transport, as a single-page app on APP_ORIGIN would use it.

    State-changing requests echo the ``csrf_token`` cookie in X-CSRF-Token
    unless ``csrf`` says otherwise (``False``: omit; a string: send that).
    """

    def __init__(self, base_url: str, *, user_agent: str = "browser-a") -> None:
        super().__init__(base_url, user_agent=user_agent)
        self.jar: dict[str, SetCookie] = {}
        self.last_set: dict[str, SetCookie] = {}

    def cookie(self, name: str) -> str | None:
        stored = self.jar.get(name)
        return stored.value if stored else None

    @property
    def csrf_token(self) -> str | None:
        return self.cookie(CSRF_COOKIE)

    def cookie_header(self, path: str) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar.values() if c.applies_to(path))

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: Content | None = None,
        headers: Mapping[str, str] | None = None,
        csrf: bool | str = True,
        cookies: bool = True,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if cookies and (header := self.cookie_header(path.split("?", maxsplit=1)[0])):
            sent["Cookie"] = header
        if method.upper() in _STATE_CHANGING and csrf is not False:
            token = csrf if isinstance(csrf, str) else self.csrf_token
            if token is not None:
                sent["X-CSRF-Token"] = token
        response = self._send(method, path, sent, json_body=json, content=content)
        self.last_set = set_cookies(response)
        for name, cookie in self.last_set.items():
            if cookie.max_age is not None and cookie.max_age <= 0:
                self.jar.pop(name, None)
            else:
                self.jar[name] = cookie
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def login(self, email: str, password: str) -> httpx.Response:
        response = self.post("/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return response

    @property
    def access_token(self) -> str | None:
        return self.cookie(ACCESS_COOKIE)

    @property
    def refresh_token(self) -> str | None:
        return self.cookie(REFRESH_COOKIE)


class ApiClient(_Client):
    """Bearer transport: ``X-Auth-Transport: bearer``, tokens in the body."""

    def __init__(self, base_url: str, *, user_agent: str = "api-client") -> None:
        super().__init__(base_url, user_agent=user_agent)
        self.access_token: str | None = None
        self.refresh_token: str | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: Content | None = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
        auth: bool = True,
    ) -> httpx.Response:
        sent = {"X-Auth-Transport": "bearer", **(headers or {})}
        bearer = token or self.access_token
        if auth and bearer is not None:
            sent["Authorization"] = f"Bearer {bearer}"
        return self._send(method, path, sent, json_body=json, content=content)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def _keep(self, response: httpx.Response) -> dict[str, Any]:
        body: dict[str, Any] = response.json()
        self.access_token = body["access_token"]
        self.refresh_token = body["refresh_token"]
        return body

    def register(self, email: str, password: str) -> dict[str, Any]:
        response = self.post(
            "/auth/register", json={"email": email, "password": password}, auth=False
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def login(self, email: str, password: str) -> dict[str, Any]:
        response = self.post("/auth/login", json={"email": email, "password": password}, auth=False)
        assert response.status_code == 200, response.text
        return self._keep(response)

    def refresh(self, refresh_token: str | None = None) -> httpx.Response:
        """Present ``refresh_token`` (default: ours); keep the new pair on 200."""
        response = self.post(
            "/auth/refresh",
            json={"refresh_token": refresh_token or self.refresh_token},
            auth=False,
        )
        if response.status_code == 200:
            self._keep(response)
        return response


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a compact JWS, unverified: for assertions only."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """An RFC 9457 problem with authgate's stable ``code``; returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status, body
    assert body["code"] == code, body
    assert body["type"] == f"urn:authgate:problem:{code}"
    assert isinstance(body["title"], str)
    assert isinstance(body["detail"], str)
    return body
