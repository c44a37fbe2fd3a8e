"""RevocationSync: every instance's local revocation list, kept current by Redis.

Tests on the shared Redis act as two instances (two syncs, own connections)
under one random prefix.  Fault tests start a private redis-server and
SIGKILL it; they never disturb the shared one.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis.asyncio import Redis
from redis_support import RedisServer, eventually, shared_redis_url

from authgate.core.clock import ManualClock, SystemClock
from authgate.core.errors import ConfigurationError, StoreError
from authgate.core.revocation import RevocationList
from authgate.stores.redis import RedisRevokedTokenStore, RevocationSync, create_client

T0 = 1_800_000_000.0
FAST: dict[str, Any] = {"heartbeat": 0.2, "backoff": (0.02, 0.2)}

SyncFactory = Callable[..., RevocationSync]


@pytest.fixture
async def syncs() -> AsyncIterator[list[RevocationSync]]:
    """Started syncs, stopped after the test whatever happened."""
    started: list[RevocationSync] = []
    yield started
    for sync in started:
        await sync.stop()


async def _started(started: list[RevocationSync], sync: RevocationSync) -> RevocationSync:
    started.append(sync)
    await sync.start()
    return sync


@pytest.fixture
def store(shared_client: Redis, prefix: str, clock: ManualClock) -> RedisRevokedTokenStore:
    return RedisRevokedTokenStore(shared_client, prefix=prefix, clock=clock)


# -- settings and lifecycle ---------------------------------------------------


def test_refuses_inconsistent_settings() -> None:
    """Every bad setting is reported at once; fail_open needs a staleness bound."""
    client = create_client("redis://127.0.0.1/0")
    store = RedisRevokedTokenStore(client)
    with pytest.raises(ConfigurationError) as caught:
        RevocationSync(store, SystemClock(), policy="fail_open", heartbeat=0, backoff=(1, 0.5))
    assert len(caught.value.problems) == 3
    with pytest.raises(ConfigurationError, match="fail_open"):
        RevocationSync(store, SystemClock(), max_staleness=5)
    with pytest.raises(ConfigurationError, match="policy"):
        RevocationSync(store, SystemClock(), policy="maybe")  # type: ignore[arg-type]


async def test_untrusted_before_start_and_after_stop(
    store: RedisRevokedTokenStore, clock: ManualClock, syncs: list[RevocationSync]
) -> None:
    """No copy yet, or no longer kept current: is_revoked raises in every policy."""
    sync = RevocationSync(store, clock, policy="fail_open", max_staleness=60)
    assert isinstance(sync, RevocationList)
    with pytest.raises(StoreError, match="revocation list unavailable"):
        sync.is_revoked("any")
    await _started(syncs, sync)
    assert await sync.wait_synchronised(5) is True
    assert sync.is_revoked("any") is False
    with pytest.raises(RuntimeError, match="already started"):
        await sync.start()
    await sync.stop()
    await sync.stop()  # idempotent
    assert sync.synchronised is False
    with pytest.raises(StoreError):
        sync.is_revoked("any")


async def test_context_manager(store: RedisRevokedTokenStore, clock: ManualClock) -> None:
    """``async with`` starts and stops the task; nothing is left running."""
    before = asyncio.all_tasks()
    async with RevocationSync(store, clock) as sync:
        assert await sync.wait_synchronised(5) is True
    assert asyncio.all_tasks() == before


# -- loading and propagation (shared Redis) -----------------------------------


async def test_start_loads_entries_added_before(
    store: RedisRevokedTokenStore, clock: ManualClock, syncs: list[RevocationSync]
) -> None:
    """Entries revoked before an instance starts are known once it is synchronised,
    including a token just past exp but still inside the verifier's leeway."""
    await store.add("early", T0 + 600)
    await store.add("in-leeway", T0 - 10)
    sync = await _started(syncs, RevocationSync(store, clock))
    assert await sync.wait_synchronised(5) is True
    assert sync.is_revoked("early") is True
    assert sync.is_revoked("in-leeway") is True
    assert sync.is_revoked("other") is False
    assert len(sync) == 2


async def test_revocation_on_a_reaches_b(
    store: RedisRevokedTokenStore, clock: ManualClock, syncs: list[RevocationSync], prefix: str
) -> None:
    """A revocation made through instance A's store shows up on instance B;
    A's own list has it at once (the Revoker writes store, then memory)."""
    client_b = create_client(shared_redis_url())
    try:
        store_b = RedisRevokedTokenStore(client_b, prefix=prefix, clock=clock)
        a = await _started(syncs, RevocationSync(store, clock))
        b = await _started(syncs, RevocationSync(store_b, clock))
        assert await a.wait_synchronised(5) is True
        assert await b.wait_synchronised(5) is True
        await store.add("jti-a", T0 + 600)
        a.revoke("jti-a", T0 + 600)
        assert a.is_revoked("jti-a") is True
        await eventually(lambda: b.is_revoked("jti-a"), timeout=2.0)
    finally:
        await client_b.aclose()


async def test_propagation_p99_within_100ms(
    store: RedisRevokedTokenStore,
    clock: ManualClock,
    syncs: list[RevocationSync],
    prefix: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """From A's ``add`` call to ``B.is_revoked`` being True: p99 <= 100 ms on loopback
    (measured over 200 revocations; the one timing-dependent test here)."""
    client_b = create_client(shared_redis_url())
    try:
        store_b = RedisRevokedTokenStore(client_b, prefix=prefix, clock=clock)
        b = await _started(syncs, RevocationSync(store_b, clock))
        assert await b.wait_synchronised(5) is True
        delays = []
        for n in range(200):
            jti = f"p-{n}"
            start = time.perf_counter()
            await store.add(jti, T0 + 600)
            while not b.is_revoked(jti):
                if time.perf_counter() - start > 2.0:
                    raise AssertionError("a revocation did not arrive within 2 s")
                await asyncio.sleep(0)
            delays.append(time.perf_counter() - start)
    finally:
        await client_b.aclose()
    cuts = statistics.quantiles(delays, n=100, method="inclusive")
    p50, p99 = statistics.median(delays) * 1000, cuts[98] * 1000
    with capsys.disabled():
        print(f"\nrevocation propagation over 200: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    assert p99 <= 100.0


async def test_malformed_messages_are_ignored(
    store: RedisRevokedTokenStore,
    clock: ManualClock,
    syncs: list[RevocationSync],
    shared_client: Redis,
) -> None:
    """Garbage on the channel changes nothing and does not break the subscription."""
    sync = await _started(syncs, RevocationSync(store, clock))
    assert await sync.wait_synchronised(5) is True
    for junk in (b"", b"no-space", b"jti not-a-number", b"jti inf", b"jti nan", b"\xff\xfe 1e10"):
        await shared_client.publish(store.channel, junk)
    await store.add("after-junk", T0 + 600)
    await eventually(lambda: sync.is_revoked("after-junk"), timeout=2.0)
    assert sync.synchronised is True
    assert len(sync) == 1


# -- faults (private redis-server) ---------------------------------------------


def _private(client: Redis, clock: ManualClock) -> RedisRevokedTokenStore:
    return RedisRevokedTokenStore(client, prefix="faults", clock=clock)


async def test_loss_fails_closed_within_2s(
    own_redis: RedisServer, own_client: Redis, clock: ManualClock, syncs: list[RevocationSync]
) -> None:
    """Redis dies: is_revoked raises StoreError within 2 s, and the server hears once."""
    events: list[bool] = []
    store = _private(own_client, clock)
    sync = await _started(syncs, RevocationSync(store, clock, on_state_change=events.append))
    assert await sync.wait_synchronised(5) is True
    await store.add("known", T0 + 600)
    await eventually(lambda: sync.is_revoked("known"), timeout=2.0)
    own_redis.kill()
    took = await eventually(lambda: not sync.synchronised, timeout=2.0)
    assert took < 2.0
    with pytest.raises(StoreError, match="revocation list unavailable"):
        sync.is_revoked("known")
    with pytest.raises(StoreError):
        sync.is_revoked("unknown")
    assert sync.unsynchronised_since == T0
    assert sync.last_error is not None
    await asyncio.sleep(0.3)  # reconnect attempts keep failing: still one event
    assert events == [True, False]


async def test_fail_open_answers_for_max_staleness_then_raises(
    own_redis: RedisServer, own_client: Redis, clock: ManualClock, syncs: list[RevocationSync]
) -> None:
    """fail_open: the stale copy answers for max_staleness seconds after the loss
    (on the injected clock), then is_revoked raises like fail_closed."""
    store = _private(own_client, clock)
    sync = await _started(
        syncs, RevocationSync(store, clock, policy="fail_open", max_staleness=10.0, **FAST)
    )
    assert await sync.wait_synchronised(5) is True
    await store.add("known", T0 + 600)
    await eventually(lambda: sync.is_revoked("known"), timeout=2.0)
    own_redis.kill()
    await eventually(lambda: not sync.synchronised, timeout=2.0)
    assert sync.is_revoked("known") is True
    assert sync.is_revoked("unknown") is False
    clock.advance(9.999)
    assert sync.is_revoked("known") is True
    clock.advance(0.001)
    with pytest.raises(StoreError, match="revocation list unavailable"):
        sync.is_revoked("known")


async def test_recovers_after_restart_and_reloads(
    own_redis: RedisServer, clock: ManualClock, syncs: list[RevocationSync]
) -> None:
    """After a restart that lost all data, the sync reconnects by itself and
    reloads: it learns entries written while it could not subscribe (so not
    through pub/sub), and keeps what it already knew.  A fresh instance knows
    only what Redis still has: revocations only Redis held are lost."""
    events: list[bool] = []
    client = create_client(own_redis.url)
    try:
        store = _private(client, clock)
        sync = await _started(
            syncs, RevocationSync(store, clock, on_state_change=events.append, **FAST)
        )
        assert await sync.wait_synchronised(5) is True
        await store.add("before", T0 + 600)
        await eventually(lambda: sync.is_revoked("before"), timeout=2.0)

        own_redis.kill()
        await eventually(lambda: not sync.synchronised, timeout=2.0)
        # Restart empty, locked, so the sync cannot resubscribe until we say so;
        # meanwhile "another path" (e.g. a re-sync from SQL) re-adds a revocation.
        own_redis.start("--requirepass", "let-me-in")
        other = create_client(own_redis.url.replace("//", "//:let-me-in@"))
        try:
            await _private(other, clock).add("while-down", T0 + 600)
            await asyncio.sleep(0.5)  # several reconnect attempts, all refused
            assert sync.synchronised is False
            await other.config_set("requirepass", "")
        finally:
            await other.aclose()

        assert await sync.wait_synchronised(5) is True
        assert sync.is_revoked("while-down") is True  # from the reload
        assert sync.is_revoked("before") is True  # kept from memory
        assert events == [True, False, True]

        fresh = await _started(syncs, RevocationSync(store, clock))
        assert await fresh.wait_synchronised(5) is True
        assert fresh.is_revoked("while-down") is True
        assert fresh.is_revoked("before") is False  # Redis lost it: documented
    finally:
        await client.aclose()


async def test_publications_resume_after_recovery(
    own_redis: RedisServer, clock: ManualClock, syncs: list[RevocationSync]
) -> None:
    """Once recovered, the sync is subscribed again: new revocations arrive live."""
    client = create_client(own_redis.url)
    try:
        store = _private(client, clock)
        sync = await _started(syncs, RevocationSync(store, clock, **FAST))
        assert await sync.wait_synchronised(5) is True
        own_redis.kill()
        await eventually(lambda: not sync.synchronised, timeout=2.0)
        own_redis.start()
        assert await sync.wait_synchronised(5) is True
        await store.add("later", T0 + 600)
        await eventually(lambda: sync.is_revoked("later"), timeout=2.0)
    finally:
        await client.aclose()


async def test_silent_redis_is_detected_by_heartbeat(
    own_redis: RedisServer, own_client: Redis, clock: ManualClock, syncs: list[RevocationSync]
) -> None:
    """A Redis that stops answering without closing the socket (a partition,
    here CLIENT PAUSE) is noticed by the heartbeat, then recovered from."""
    store = _private(own_client, clock)
    sync = await _started(syncs, RevocationSync(store, clock, **FAST))
    assert await sync.wait_synchronised(5) is True
    await own_client.client_pause(1500, all=True)
    took = await eventually(lambda: not sync.synchronised, timeout=1.4)
    assert took < 1.0
    assert await sync.wait_synchronised(5) is True


async def test_state_callback_errors_do_not_stop_the_sync(
    own_redis: RedisServer, own_client: Redis, clock: ManualClock, syncs: list[RevocationSync]
) -> None:
    """A failing on_state_change hook cannot break synchronisation."""

    def hook(synchronised: bool) -> None:
        raise RuntimeError("logging is broken")

    store = _private(own_client, clock)
    sync = await _started(syncs, RevocationSync(store, clock, on_state_change=hook, **FAST))
    assert await sync.wait_synchronised(5) is True
    own_redis.kill()
    await eventually(lambda: not sync.synchronised, timeout=2.0)
    own_redis.start()
    assert await sync.wait_synchronised(5) is True
