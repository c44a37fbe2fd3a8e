"""Fresh, unmigrated databases: a SQLite file and a PostgreSQL schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from contracts.backends import postgres_schema, sqlite_url


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of each backend (PostgreSQL: a schema of its own)."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    async with postgres_schema() as url:
        yield url


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """An empty PostgreSQL schema of its own (skips when PostgreSQL is down)."""
    async with postgres_schema() as url:
        yield url
