"""Redis URLs, client settings and error translation (no Redis needed)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import pytest
from redis.asyncio.connection import SSLConnection
from redis_support import free_port

import authgate.stores.redis as redis_backend
from authgate.core.clock import ManualClock
from authgate.core.errors import StoreError
from authgate.stores.redis import (
    RedisRevokedTokenStore,
    RedisThrottleStore,
    create_client,
    normalize_redis_url,
)

T0 = 1_800_000_000.0


def test_exports_are_declared() -> None:
    """The package's ``__all__`` names exactly what it exports, all importable."""
    assert sorted(redis_backend.__all__) == redis_backend.__all__
    for name in redis_backend.__all__:
        assert getattr(redis_backend, name) is not None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("  REDIS://cache.internal:6380/2 \n", "redis://cache.internal:6380/2"),
        ("rediss://:pw@cache.internal/1", "rediss://:pw@cache.internal/1"),
        ("redis://cache.internal", "redis://cache.internal"),
        ("redis://[::1]:6379/0", "redis://[::1]:6379/0"),
    ],
)
def test_accepts_redis_and_rediss(url: str, expected: str) -> None:
    """redis:// and rediss:// URLs with a host pass, scheme case and space fixed."""
    assert normalize_redis_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "cache.internal:6379",
        "http://cache.internal:6379",
        "unix:///run/redis.sock",
        "redis+sentinel://cache.internal",
        "redis://",
        "redis://:secret-pass-xyz@/0",
        "redis://cache.internal:notaport/0",
        "redis://cache.internal:0/0",
        "redis://cache.internal/db0",
        "redis://cache.internal/0#frag",
    ],
)
def test_refuses_other_urls(url: str) -> None:
    """Anything else is a ValueError that never echoes the URL (it may hold a password)."""
    with pytest.raises(ValueError, match="Redis URL") as caught:
        normalize_redis_url(url)
    assert "secret-pass-xyz" not in str(caught.value)
    assert "cache.internal" not in str(caught.value)


async def test_client_fails_fast_settings() -> None:
    """The client has 1 s connect / 2 s reply timeouts and health checks by default."""
    client = create_client("redis://127.0.0.1:6379/0")
    try:
        kwargs = client.connection_pool.connection_kwargs
        assert kwargs["socket_connect_timeout"] == 1.0
        assert kwargs["socket_timeout"] == 2.0
        assert kwargs["health_check_interval"] == 5.0
        assert kwargs["retry"].get_retries() == 1
    finally:
        await client.aclose()


async def test_rediss_uses_tls() -> None:
    """rediss:// selects the TLS connection class."""
    client = create_client("rediss://cache.internal:6380/0")
    try:
        assert client.connection_pool.connection_class is SSLConnection
    finally:
        await client.aclose()


def test_create_client_refuses_bad_timeouts() -> None:
    """Zero or negative timeouts would mean 'wait forever' or nonsense: refused."""
    with pytest.raises(ValueError, match="timeouts"):
        create_client("redis://127.0.0.1/0", timeout=0)


def test_constructors_refuse_bad_settings() -> None:
    """Prefixes that would need SCAN escaping, a negative leeway or cap are refused."""
    client = create_client("redis://127.0.0.1/0")
    for prefix in ("", "a b", "a*", "x" * 65, "ü"):
        with pytest.raises(ValueError, match="prefix"):
            RedisRevokedTokenStore(client, prefix=prefix)
        with pytest.raises(ValueError, match="prefix"):
            RedisThrottleStore(client, prefix=prefix)
    with pytest.raises(ValueError, match="leeway"):
        RedisRevokedTokenStore(client, leeway=-1)
    with pytest.raises(ValueError, match="max_per_key"):
        RedisThrottleStore(client, max_per_key=0)


async def test_unreachable_redis_raises_store_error_quickly() -> None:
    """Every store method turns a dead Redis into StoreError, fast and without data."""
    client = create_client(f"redis://127.0.0.1:{free_port()}/0")
    revoked = RedisRevokedTokenStore(client, clock=ManualClock(T0))
    throttle = RedisThrottleStore(client)
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: revoked.add("jti-secretive-123", T0 + 60),
        lambda: revoked.live(now=T0),
        lambda: throttle.record_failure("acct:ann@example.com", now=T0, window=60),
        lambda: throttle.failures("acct:ann@example.com", now=T0, window=60),
        lambda: throttle.reset("acct:ann@example.com"),
    ]
    try:
        for call in calls:
            start = time.monotonic()
            with pytest.raises(StoreError, match="redis did not answer") as caught:
                await call()
            assert time.monotonic() - start < 2.0
            assert caught.value.code == "store_unavailable"
            assert "jti-secretive-123" not in str(caught.value)
            assert "ann@example.com" not in str(caught.value)
    finally:
        await client.aclose()
