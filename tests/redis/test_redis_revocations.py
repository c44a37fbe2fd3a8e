"""RedisRevokedTokenStore against the shared Redis: contract, TTL, pub/sub."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis
from redis_support import shared_redis_url

from authgate.core.clock import ManualClock
from authgate.stores.protocols import RevokedTokenStore
from authgate.stores.redis import RedisRevokedTokenStore, RedisThrottleStore
from contracts.test_revoked_token_store import RevokedTokenStoreContract

T0 = 1_800_000_000.0
LEEWAY = 30.0


@pytest.fixture
def redis_store(shared_client: Redis, prefix: str, clock: ManualClock) -> RedisRevokedTokenStore:
    return RedisRevokedTokenStore(shared_client, prefix=prefix, leeway=LEEWAY, clock=clock)


class TestRedisRevokedTokenStore(RevokedTokenStoreContract):
    @pytest.fixture
    def store(self, redis_store: RedisRevokedTokenStore) -> RevokedTokenStore:
        return redis_store

    async def test_prune_deletes_only_expired(self, store: RevokedTokenStore) -> None:
        """Redis departs here on purpose: TTLs expire entries, ``prune`` deletes
        nothing and returns 0 (deleting at ``exp`` would drop revocations the
        verifier still needs during its leeway).  ``live`` excludes them alike."""
        await store.add("gone", T0 - 5)
        await store.add("boundary", T0)
        await store.add("kept", T0 + 0.001)
        assert await store.prune(now=T0) == 0
        assert await store.live(now=T0) == [("kept", T0 + 0.001)]


async def _pttl(client: Redis, key: str) -> int:
    return int(await client.pttl(key))


async def test_ttl_is_exp_plus_leeway(
    redis_store: RedisRevokedTokenStore, shared_client: Redis, prefix: str
) -> None:
    """The entry lives until the token's exp plus the verifier's leeway (±1 s)."""
    await redis_store.add("jti-1", T0 + 600)
    key = f"{prefix}:revoked:jti-1"
    assert abs(await _pttl(shared_client, key) - (600 + LEEWAY) * 1000) <= 1000
    assert await shared_client.get(key) == repr(T0 + 600).encode()


async def test_readding_later_expiry_extends_ttl(
    redis_store: RedisRevokedTokenStore, shared_client: Redis, prefix: str
) -> None:
    """A later exp extends the TTL; an earlier one leaves value and TTL alone."""
    key = f"{prefix}:revoked:jti-1"
    await redis_store.add("jti-1", T0 + 100)
    await redis_store.add("jti-1", T0 + 10)
    assert abs(await _pttl(shared_client, key) - 130_000) <= 1000
    await redis_store.add("jti-1", T0 + 300)
    assert abs(await _pttl(shared_client, key) - 330_000) <= 1000


async def test_entries_vanish_after_ttl(
    redis_store: RedisRevokedTokenStore, shared_client: Redis, prefix: str
) -> None:
    """Redis forgets the entry by itself once exp + leeway has passed: no growth."""
    await redis_store.add("short", T0 - LEEWAY + 0.15)
    assert await shared_client.exists(f"{prefix}:revoked:short") == 1
    await asyncio.sleep(0.3)
    assert await shared_client.exists(f"{prefix}:revoked:short") == 0
    assert await redis_store.live(now=T0 - 1000) == []


async def test_token_past_leeway_is_not_stored(
    redis_store: RedisRevokedTokenStore, shared_client: Redis, prefix: str
) -> None:
    """A token already refused as expired (exp + leeway <= now) stores nothing."""
    await redis_store.add("dead", T0 - LEEWAY)
    assert [key async for key in shared_client.scan_iter(match=f"{prefix}:*")] == []


async def test_live_after_many_adds(redis_store: RedisRevokedTokenStore) -> None:
    """``live`` pages through SCAN and finds every entry, exp round-tripped exactly."""
    redis_store.scan_count = 50
    entries = [(f"jti-{n:04d}", T0 + 60 + n / 7) for n in range(1200)]
    await asyncio.gather(*(redis_store.add(jti, exp) for jti, exp in entries))
    assert await redis_store.live(now=T0) == entries


async def test_live_skips_foreign_values(
    redis_store: RedisRevokedTokenStore, shared_client: Redis, prefix: str
) -> None:
    """A value under the prefix that is not a finite number is skipped, not fatal."""
    await shared_client.set(f"{prefix}:revoked:junk", b"not-a-number", px=60_000)
    await shared_client.set(f"{prefix}:revoked:inf", b"inf", px=60_000)
    await shared_client.set(f"{prefix}:revoked:\xff".encode("latin-1"), repr(T0 + 9), px=60_000)
    await redis_store.add("real", T0 + 60)
    assert await redis_store.live(now=T0) == [("real", T0 + 60)]


async def test_add_publishes_to_every_instance(
    redis_store: RedisRevokedTokenStore, shared_client: Redis, prefix: str
) -> None:
    """Each add publishes ``"<jti> <exp>"`` on ``{prefix}:revocations``."""
    async with shared_client.pubsub() as pubsub:
        await pubsub.subscribe(f"{prefix}:revocations")
        assert (await pubsub.get_message(timeout=2.0) or {})["type"] == "subscribe"
        await redis_store.add("jti with space", T0 + 60)
        await redis_store.add("jti with space", T0 + 30)  # keeps, and re-announces, T0+60
        first = await pubsub.get_message(timeout=2.0)
        second = await pubsub.get_message(timeout=2.0)
    expected = f"jti with space {T0 + 60!r}".encode()
    assert first is not None
    assert second is not None
    assert (first["data"], second["data"]) == (expected, expected)


async def test_client_decoding_replies_works_too(
    shared_client: Redis, prefix: str, clock: ManualClock
) -> None:
    """Stores accept a client built with ``decode_responses=True`` (str replies)."""
    decoding = Redis.from_url(shared_redis_url(), decode_responses=True)
    try:
        revoked = RedisRevokedTokenStore(decoding, prefix=prefix, clock=clock)
        throttle = RedisThrottleStore(decoding, prefix=prefix)
        await revoked.add("jti-1", T0 + 60)
        assert await revoked.live(now=T0) == [("jti-1", T0 + 60)]
        await throttle.record_failure("k", now=T0, window=60)
        assert await throttle.failures("k", now=T0, window=60) == (1, T0)
    finally:
        await decoding.aclose()
