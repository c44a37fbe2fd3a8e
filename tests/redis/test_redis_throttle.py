"""RedisThrottleStore against the shared Redis: contract, atomicity, sharing."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis
from redis_support import shared_redis_url

from authgate.stores.protocols import ThrottleStore
from authgate.stores.redis import RedisThrottleStore, create_client
from contracts.test_throttle_store import ThrottleStoreContract

T0 = 1_800_000_000.0
WINDOW = 60.0


@pytest.fixture
def redis_store(shared_client: Redis, prefix: str) -> RedisThrottleStore:
    return RedisThrottleStore(shared_client, prefix=prefix)


class TestRedisThrottleStore(ThrottleStoreContract):
    @pytest.fixture
    def store(self, redis_store: RedisThrottleStore) -> ThrottleStore:
        return redis_store


async def test_boundary_to_the_float(redis_store: RedisThrottleStore) -> None:
    """Scores round-trip exactly: in at ``t + window - 1 ulp``-ish, out at ``t + window``."""
    t = T0 + 0.123456789
    await redis_store.record_failure("k", now=t, window=WINDOW)
    assert await redis_store.failures("k", now=t + WINDOW - 1e-6, window=WINDOW) == (1, t)
    assert await redis_store.failures("k", now=t + WINDOW, window=WINDOW) == (0, None)
    assert await redis_store.record_failure("k", now=t + WINDOW, window=WINDOW) == 1


async def test_fifty_concurrent_failures_all_count(redis_store: RedisThrottleStore) -> None:
    """50 simultaneous failures (same instant) count exactly 50: no lost update."""
    counts = await asyncio.gather(
        *(redis_store.record_failure("acct:x", now=T0, window=WINDOW) for _ in range(50))
    )
    assert sorted(counts) == list(range(1, 51))
    assert await redis_store.failures("acct:x", now=T0, window=WINDOW) == (50, T0)


async def test_instances_share_counters(redis_store: RedisThrottleStore, prefix: str) -> None:
    """Two instances (own clients) racing on one key see one counter of 50."""
    other_client = create_client(shared_redis_url())
    other = RedisThrottleStore(other_client, prefix=prefix)
    try:
        await asyncio.gather(
            *(
                store.record_failure("ip:192.0.2.7", now=T0 + n / 100, window=WINDOW)
                for n in range(25)
                for store in (redis_store, other)
            )
        )
        assert await other.failures("ip:192.0.2.7", now=T0 + 1, window=WINDOW) == (50, T0 + 0.24)
        assert await redis_store.failures("ip:192.0.2.7", now=T0 + 1, window=WINDOW) == (
            50,
            T0 + 0.24,
        )
    finally:
        await other_client.aclose()


async def test_counter_expires_and_hides_the_key(
    redis_store: RedisThrottleStore, shared_client: Redis, prefix: str
) -> None:
    """The counter's key expires a window after the latest failure, and its name
    does not carry the email (a hash of it)."""
    await redis_store.record_failure("acct:ann@example.com", now=T0, window=WINDOW)
    keys = [key async for key in shared_client.scan_iter(match=f"{prefix}:*")]
    assert keys == [redis_store.key("acct:ann@example.com").encode()]
    assert b"ann" not in keys[0]
    ttl = int(await shared_client.pttl(keys[0]))
    assert WINDOW * 1000 < ttl <= WINDOW * 1000 + 1000


async def test_count_saturates_at_cap(shared_client: Redis, prefix: str) -> None:
    """A counter keeps at most ``max_per_key`` failures, the newest ones."""
    store = RedisThrottleStore(shared_client, prefix=prefix, max_per_key=3)
    for n in range(5):
        count = await store.record_failure("k", now=T0 + n, window=WINDOW)
    assert count == 3
    assert await store.failures("k", now=T0 + 5, window=WINDOW) == (3, T0 + 4)
