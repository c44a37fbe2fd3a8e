"""Fixtures for the Redis backends: the shared Redis, and a private one to kill.

The shared server is ``AUTHGATE_TEST_REDIS_URL`` (default
``redis://127.0.0.1:6379/0``).  Each test works under a random key prefix
and deletes its keys afterwards, so it can run beside other suites and
users.  When the server does not answer, its tests are skipped -- or fail,
with ``AUTHGATE_REQUIRE_SERVICES=1`` (CI).  Fault tests never touch the
shared server: they start their own ``redis-server`` and SIGKILL it.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis_support import RedisServer, require_redis, shared_redis_url

from authgate.core.clock import ManualClock
from authgate.stores.redis import create_client

# The contract suites live in the ``contracts`` package under tests/; this
# directory is not a package (see redis_support), so put tests/ on the path.
_TESTS = str(Path(__file__).resolve().parents[1])
if _TESTS not in sys.path:
    sys.path.append(_TESTS)

T0 = 1_800_000_000.0


@pytest.fixture
def prefix() -> str:
    """A key prefix of this test's own."""
    return f"authgate-test-{secrets.token_hex(6)}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


async def _delete_prefix(client: Redis, prefix: str) -> None:
    keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=500)]
    if keys:
        await client.delete(*keys)


@pytest.fixture
async def shared_client(prefix: str) -> AsyncIterator[Redis]:
    """A client of the shared Redis; deletes every key under ``prefix`` after."""
    url = shared_redis_url()
    await require_redis(url)
    client = create_client(url)
    try:
        yield client
    finally:
        try:
            await _delete_prefix(client, prefix)
        finally:
            await client.aclose()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A private, already started redis-server that the test may kill."""
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
async def own_client(own_redis: RedisServer) -> AsyncIterator[Redis]:
    client = create_client(own_redis.url)
    try:
        yield client
    finally:
        await client.aclose()
