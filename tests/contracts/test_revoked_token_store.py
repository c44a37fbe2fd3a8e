"""RevokedTokenStore contract: durable revocations that expire with their token."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from authgate.stores.memory import MemoryRevokedTokenStore
from authgate.stores.protocols import RevokedTokenStore
from authgate.stores.sql import SqlRevokedTokenStore

T0 = 1_800_000_000.0


class RevokedTokenStoreContract:
    """Subclasses provide ``store``."""

    @pytest.fixture
    def store(self) -> RevokedTokenStore:
        raise NotImplementedError

    async def test_empty(self, store: RevokedTokenStore) -> None:
        """A new store has nothing live and nothing to prune."""
        assert await store.live(now=T0) == []
        assert await store.prune(now=T0) == 0

    async def test_live_until_expiry(self, store: RevokedTokenStore) -> None:
        """An entry is live while ``expires_at > now``: at ``expires_at`` it is gone."""
        await store.add("jti", T0 + 60)
        assert await store.live(now=T0 + 59.999) == [("jti", T0 + 60)]
        assert await store.live(now=T0 + 60) == []

    async def test_live_lists_all_live_entries(self, store: RevokedTokenStore) -> None:
        """``live`` returns every unexpired (jti, exp), for loading the verifier."""
        await store.add("b", T0 + 60)
        await store.add("a", T0 + 120)
        await store.add("old", T0 - 1)
        assert sorted(await store.live(now=T0)) == [("a", T0 + 120), ("b", T0 + 60)]

    async def test_add_again_keeps_later_expiry(self, store: RevokedTokenStore) -> None:
        """Revoking twice (retries, two instances) is safe and never shortens."""
        await store.add("jti", T0 + 60)
        await store.add("jti", T0 + 30)
        assert await store.live(now=T0) == [("jti", T0 + 60)]
        await store.add("jti", T0 + 90)
        assert await store.live(now=T0) == [("jti", T0 + 90)]

    async def test_concurrent_adds_of_one_jti(self, store: RevokedTokenStore) -> None:
        """Simultaneous revocations of one jti leave one entry, the latest expiry."""
        await asyncio.gather(*(store.add("jti", T0 + n) for n in range(1, 21)))
        assert await store.live(now=T0) == [("jti", T0 + 20)]

    async def test_prune_deletes_only_expired(self, store: RevokedTokenStore) -> None:
        """``prune`` drops entries with ``expires_at <= now`` and counts them."""
        await store.add("gone", T0 - 5)
        await store.add("boundary", T0)
        await store.add("kept", T0 + 0.001)
        assert await store.prune(now=T0) == 2
        assert await store.live(now=T0 - 100) == [("kept", T0 + 0.001)]
        assert await store.prune(now=T0) == 0


class TestMemoryRevokedTokenStore(RevokedTokenStoreContract):
    @pytest.fixture
    def store(self) -> RevokedTokenStore:
        return MemoryRevokedTokenStore()


class TestSqliteRevokedTokenStore(RevokedTokenStoreContract):
    @pytest.fixture
    def store(self, sqlite_engine: AsyncEngine) -> RevokedTokenStore:
        return SqlRevokedTokenStore(sqlite_engine)


class TestPostgresRevokedTokenStore(RevokedTokenStoreContract):
    @pytest.fixture
    def store(self, postgres_engine: AsyncEngine) -> RevokedTokenStore:
        return SqlRevokedTokenStore(postgres_engine)
