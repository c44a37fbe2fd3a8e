"""Engines for the SQL backends of the contract suites, migrated with ``upgrade()``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from authgate.stores.sql import create_engine, upgrade

from .backends import postgres_schema, sqlite_url


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated SQLite file of its own."""
    url = sqlite_url(tmp_path)
    await upgrade(url)
    engine = create_engine(url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def postgres_engine() -> AsyncIterator[AsyncEngine]:
    """A migrated PostgreSQL schema of its own (skips when PostgreSQL is down)."""
    async with postgres_schema() as url:
        await upgrade(url)
        engine = create_engine(url)
        try:
            yield engine
        finally:
            await engine.dispose()
