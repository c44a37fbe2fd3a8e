"""Real databases for the store tests: a SQLite file and a PostgreSQL schema.

PostgreSQL runs at ``AUTHGATE_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``).  When it does not answer,
its tests are skipped with the reason — or fail, when
``AUTHGATE_REQUIRE_SERVICES=1`` (CI), so a dead service cannot pass
silently.  Each test gets its own freshly created schema (selected through
libpq's ``options=-c search_path=…``, which authgate's URLs accept), dropped
afterwards: tests never touch ``public`` or another database, and can run
next to other suites using the same server.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final
from urllib.parse import quote

import pytest
from sqlalchemy import text

from authgate.stores.sql import create_engine

__all__ = [
    "join_sqlite_workers",
    "postgres_base_url",
    "postgres_schema",
    "require_postgres",
    "sqlite_url",
]

DEFAULT_POSTGRES_URL: Final = "postgresql://postgres@127.0.0.1:5432/test"

_probed: dict[str, str | None] = {}  # url -> why it is unusable (None: usable)


def postgres_base_url() -> str:
    return os.environ.get("AUTHGATE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'authgate.db'}"


async def require_postgres(url: str) -> None:
    """Skip (or, with ``AUTHGATE_REQUIRE_SERVICES=1``, fail) without PostgreSQL."""
    if url not in _probed:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            _probed[url] = None
        except Exception as err:  # noqa: BLE001 -- whatever the failure, the service is absent
            _probed[url] = (
                f"PostgreSQL at AUTHGATE_TEST_POSTGRES_URL does not answer ({type(err).__name__})"
            )
        finally:
            await engine.dispose()
    reason = _probed[url]
    if reason is None:
        return
    if os.environ.get("AUTHGATE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}; AUTHGATE_REQUIRE_SERVICES=1 forbids skipping")
    pytest.skip(reason)


@asynccontextmanager
async def postgres_schema() -> AsyncIterator[str]:
    """Yield a URL whose ``search_path`` is a new, empty schema; drop it after."""
    base = postgres_base_url()
    await require_postgres(base)
    schema = f"authgate_test_{secrets.token_hex(6)}"
    admin = create_engine(base)
    try:
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in base else "?"
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        try:
            async with admin.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        finally:
            await admin.dispose()


async def join_sqlite_workers() -> None:
    """Wait for aiosqlite worker threads that are shutting down.

    After a *failed* connect, aiosqlite (0.22) queues its worker's stop
    without awaiting it; if the test's event loop closes first, the worker
    raises "Event loop is closed" in its thread (omnilib/aiosqlite#241), which
    pytest reports as an unhandled thread exception.  Call after disposing
    every engine, so that only stopping workers are left to join.
    """
    for thread in threading.enumerate():
        if "_connection_worker_thread" in thread.name:
            await asyncio.to_thread(thread.join, 5.0)
