"""Fixtures: a migrated PostgreSQL database, a Redis database, a launcher.

Request them through :func:`shared` (or in the order pg_url, redis_url,
launcher): fixtures are torn down in reverse, so instances stop before their
database is dropped and their Redis database flushed.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from authgate.stores import sql

from ._instances import Instance, Launcher
from ._services import OwnPostgres, OwnRedis, claim_redis_database, postgres_database


@pytest.fixture
def jwt_secret() -> str:
    """256 random bits, like ``authgate keys generate``; shared by a test's instances."""
    return secrets.token_urlsafe(32)


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A database of this test's own on the shared PostgreSQL, migrated to head
    (authgate does not migrate PostgreSQL by itself)."""
    with postgres_database() as url:
        await sql.upgrade(sql.normalize_database_url(url))
        yield url


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database number of this test's own on the shared server."""
    with claim_redis_database() as url:
        yield url


@pytest.fixture
def launcher(tmp_path: Path, jwt_secret: str) -> Iterator[Launcher]:
    """Starts authgate instances; every one is stopped at the end, pass or fail."""
    workdir = tmp_path / "instances"
    workdir.mkdir()
    started = Launcher(workdir, jwt_secret)
    try:
        yield started
    finally:
        started.close()


@dataclass(frozen=True, slots=True)
class Shared:
    """The shared-services topology: one PostgreSQL database, one Redis database."""

    pg_url: str
    redis_url: str
    launcher: Launcher

    def start(
        self,
        count: int = 2,
        *,
        each: Sequence[Mapping[str, object]] | None = None,
        **settings: object,
    ) -> list[Instance]:
        return self.launcher.start(
            count, each=each, database_url=self.pg_url, redis_url=self.redis_url, **settings
        )


@pytest.fixture
def shared(pg_url: str, redis_url: str, launcher: Launcher) -> Shared:
    return Shared(pg_url, redis_url, launcher)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    """A private redis-server the test may SIGKILL and restart."""
    directory = tmp_path / "redis"
    directory.mkdir()
    server = OwnRedis(directory)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    """A private PostgreSQL cluster the test may stop and start."""
    cluster = OwnPostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()
