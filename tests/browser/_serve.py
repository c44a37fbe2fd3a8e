"""Servers for the browser tests: authgate itself, and small static sites.

:class:`AuthgateServer` builds the runtime as ``authgate serve`` does
(``build_runtime`` + ``create_app``) with the real clock — the browser's
timers and cookie lifetimes run on wall time, so the server's must too — and
a :class:`MemorySink` the tests read.  :class:`StaticSite` serves a few fixed
files: an attacker's page, a frontend on another origin.

Each runs ``uvicorn.Server`` in a thread with its own event loop, which also
builds and closes what the app needs: Playwright's sync API marks the main
thread's loop as running between calls, so no other loop may run there.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from authgate.bootstrap import Runtime, build_runtime
from authgate.config import Settings
from authgate.server import create_app
from authgate.service.events import MemorySink

__all__ = ["AuthgateServer", "MakeServer", "StaticSite", "TlsFiles"]

_START_TIMEOUT: Final = 15.0


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """A PEM key and certificate chain, for uvicorn's ``ssl_*`` options."""

    keyfile: Path
    certfile: Path


async def _nothing() -> None:
    return None


class _Uvicorn:
    """uvicorn on a loopback socket, in a thread that owns its event loop.

    The socket is bound at construction, so the port (and a public URL that
    names it) is known before the app is built.  In the thread, ``setup()``
    builds the app, uvicorn serves it, and ``teardown()`` runs afterwards.
    """

    def __init__(self, tls: TlsFiles | None) -> None:
        self.tls = tls
        # IPPROTO_TCP: asyncio sets TCP_NODELAY only on such sockets.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def _config(self, app: ASGIApp) -> uvicorn.Config:
        tls = self.tls
        return uvicorn.Config(
            app,
            interface="asgi3",
            host="127.0.0.1",
            port=self.port,
            proxy_headers=False,
            log_level="warning",
            access_log=False,
            ssl_keyfile=str(tls.keyfile) if tls else None,
            ssl_certfile=str(tls.certfile) if tls else None,
            # Browsers keep idle connections open; do not wait long for them.
            timeout_graceful_shutdown=1,
        )

    async def _main(
        self, setup: Callable[[], Awaitable[ASGIApp]], teardown: Callable[[], Awaitable[None]]
    ) -> None:
        try:
            self._server = uvicorn.Server(self._config(await setup()))
            await self._server.serve(sockets=[self._sock])
        finally:
            await teardown()

    def _run(
        self, setup: Callable[[], Awaitable[ASGIApp]], teardown: Callable[[], Awaitable[None]]
    ) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._main(setup, teardown))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        except BaseException as err:  # noqa: BLE001 - reported by start()/stop()
            self._error = err
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    def start(
        self,
        setup: Callable[[], Awaitable[ASGIApp]],
        teardown: Callable[[], Awaitable[None]] = _nothing,
    ) -> None:
        self._thread = thread = threading.Thread(
            target=self._run, args=(setup, teardown), name=f"uvicorn-{self.port}"
        )
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while self._server is None or not self._server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the test server did not start: {self._error!r}")
            time.sleep(0.005)

    def request_stop(self) -> None:
        """Ask uvicorn to exit (it notices within 0.1 s); :meth:`stop` waits."""
        if self._server is not None:
            self._server.should_exit = True

    def stop(self) -> None:
        """Stop serving, wait for the teardown; raise what the thread raised."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout=15)
            if self._thread.is_alive():
                raise RuntimeError("the test server did not stop")
            self._thread = None
        self._sock.close()
        error, self._error = self._error, None
        if error is not None and not isinstance(error, SystemExit):
            raise RuntimeError("the test server failed") from error


class AuthgateServer:
    """authgate on 127.0.0.1, addressed as ``host`` (``localhost`` by default).

    ``settings_for(origin)`` builds the settings once the origin (which names
    the port) is known; ``events`` collects every security event.
    """

    def __init__(
        self,
        settings_for: Callable[[str], Settings],
        *,
        host: str = "localhost",
        tls: TlsFiles | None = None,
    ) -> None:
        self.events = MemorySink()
        self._http = _Uvicorn(tls)
        self.origin = f"{'https' if tls else 'http'}://{host}:{self._http.port}"
        self.settings = settings_for(self.origin)
        self._runtime: Runtime | None = None

    async def _setup(self) -> ASGIApp:
        self._runtime = await build_runtime(self.settings, events=self.events)
        return create_app(self._runtime)

    async def _teardown(self) -> None:
        if self._runtime is not None:
            await self._runtime.aclose()

    def start(self) -> AuthgateServer:
        self._http.start(self._setup, self._teardown)
        return self

    def request_stop(self) -> None:
        """Stop accepting work now; :meth:`stop` waits for the shutdown."""
        self._http.request_stop()

    def stop(self) -> None:
        self._http.stop()

    def url(self, path: str = "") -> str:
        return self.origin + path

    def codes(self, event: str) -> list[str]:
        """The ``code`` of every ``event`` emitted so far, in order."""
        return [e.code for e in self.events.named(event)]


#: ``make_server(host=..., tls=..., **settings)``: the fixture that starts one.
MakeServer = Callable[..., AuthgateServer]


class StaticSite:
    """Fixed files on 127.0.0.1 (HTTPS with ``tls``), whatever the host name.

    ``files`` maps a path to ``(content type, body)``; every response also
    carries ``headers``.  Both may be filled in until :meth:`start`.
    """

    def __init__(self, *, tls: TlsFiles | None = None) -> None:
        self.files: dict[str, tuple[str, str]] = {}
        self.headers: dict[str, str] = {}
        self._http = _Uvicorn(tls)
        self.port = self._http.port
        self.scheme = "https" if tls else "http"

    def origin(self, host: str) -> str:
        return f"{self.scheme}://{host}:{self.port}"

    async def _app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        found = self.files.get(scope["path"])
        status, (content_type, body) = (200, found) if found else (404, ("text/plain", "none"))
        headers = [(b"content-type", content_type.encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in self.headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body.encode()})

    def start(self, files: Mapping[str, tuple[str, str]] | None = None) -> StaticSite:
        self.files.update(files or {})

        async def setup() -> ASGIApp:
            return self._app

        self._http.start(setup)
        return self

    def stop(self) -> None:
        self._http.stop()
