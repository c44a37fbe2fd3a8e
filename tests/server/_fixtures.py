"""Fixtures for the end-to-end tests: a live server, its users, clients.

Every test gets its own SQLite file, its own random 256-bit secret and its
own server (``server``); ``make_server`` starts more (restarts, per-test
settings such as short throttle windows) on the same file and secret.
``tests/server/conftest.py`` and ``tests/cli/conftest.py`` import these.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from authgate.core.clock import ManualClock
from authgate.stores import sql

from ._live import STRONG_PASSWORD, ApiClient, Browser, LiveServer, make_settings, unique_email

__all__ = [
    "Account",
    "MakeApi",
    "MakeBrowser",
    "MakeServer",
    "Reaper",
    "account",
    "api",
    "browser",
    "database",
    "jwt_secret",
    "make_api",
    "make_browser",
    "make_server",
    "migrated_template",
    "module_server",
    "reaper",
    "server",
]

MakeServer = Callable[..., LiveServer]
MakeBrowser = Callable[..., Browser]
MakeApi = Callable[..., ApiClient]


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    email: str
    password: str


@pytest.fixture
def jwt_secret() -> str:
    """43 url-safe characters: 256 random bits, like ``authgate keys generate``."""
    return secrets.token_urlsafe(32)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """The SQLite file, in a directory of its own (readyz tests move it)."""
    directory = tmp_path / "db"
    directory.mkdir()
    return directory / "authgate.db"


class Reaper:
    """Finishes stopping servers in the background: uvicorn's graceful
    shutdown sleeps ~0.2 s, which tests need not wait for one by one."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="server-reaper")
        self._pending: list[Future[None]] = []

    def stop_later(self, servers: list[LiveServer]) -> None:
        for server in servers:
            server.begin_stop()
        self._pending.extend(self._pool.submit(server.finish_stop) for server in servers)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        for future in self._pending:
            future.result()  # a server that failed to stop fails the session


@pytest.fixture(scope="session")
def reaper() -> Iterator[Reaper]:
    background = Reaper()
    yield background
    background.close()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database at the newest schema, copied for each test: start-up
    then finds nothing to migrate (saves a migration per test)."""
    template = tmp_path_factory.mktemp("template") / "authgate.db"
    asyncio.run(sql.upgrade(f"sqlite:///{template}"))
    return template


@pytest.fixture
def make_server(
    database: Path, jwt_secret: str, reaper: Reaper, migrated_template: Path
) -> Iterator[MakeServer]:
    """Start a LiveServer on this test's database and secret; ``overrides``
    change settings, ``clock`` shares a clock between restarts."""
    started: list[LiveServer] = []

    def start(*, clock: ManualClock | None = None, **overrides: Any) -> LiveServer:
        if not database.exists():
            shutil.copyfile(migrated_template, database)
        settings = make_settings(database, jwt_secret, **overrides)
        server = LiveServer(settings, clock=clock).start()
        started.append(server)
        return server

    yield start
    reaper.stop_later(started)


@pytest.fixture
def server(make_server: MakeServer) -> LiveServer:
    return make_server()


def module_server(
    tmp_path_factory: pytest.TempPathFactory, reaper: Reaper, **overrides: Any
) -> Iterator[LiveServer]:
    """A server shared by a module whose tests need no isolation (each test
    registers its own accounts); use as the body of a module fixture."""
    directory = tmp_path_factory.mktemp("shared")
    settings = make_settings(directory / "authgate.db", secrets.token_urlsafe(32), **overrides)
    server = LiveServer(settings).start()
    yield server
    reaper.stop_later([server])


@pytest.fixture
def make_browser() -> Iterator[MakeBrowser]:
    clients: list[Browser] = []

    def make(target: LiveServer, user_agent: str = "browser-a") -> Browser:
        client = Browser(target.url, user_agent=user_agent)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def make_api() -> Iterator[MakeApi]:
    clients: list[ApiClient] = []

    def make(target: LiveServer, user_agent: str = "api-client") -> ApiClient:
        client = ApiClient(target.url, user_agent=user_agent)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def browser(server: LiveServer, make_browser: MakeBrowser) -> Browser:
    return make_browser(server)


@pytest.fixture
def api(server: LiveServer, make_api: MakeApi) -> ApiClient:
    return make_api(server)


@pytest.fixture
def account(api: ApiClient) -> Account:
    """A registered account (through the API, like any user)."""
    email = unique_email()
    body = api.register(email, STRONG_PASSWORD)
    return Account(id=body["id"], email=email, password=STRONG_PASSWORD)
