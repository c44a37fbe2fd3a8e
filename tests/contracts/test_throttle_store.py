"""ThrottleStore contract: sliding-window login-failure counters.

A failure at ``t`` counts while ``now - t < window``.  Only the memory
backend exists here; a shared (Redis) backend subclasses this contract.
"""

from __future__ import annotations

import pytest

from authgate.stores.memory import MemoryThrottleStore
from authgate.stores.protocols import ThrottleStore

T0 = 1_800_000_000.0
WINDOW = 60.0


class ThrottleStoreContract:
    """Subclasses provide ``store``."""

    @pytest.fixture
    def store(self) -> ThrottleStore:
        raise NotImplementedError

    async def test_unknown_key_has_no_failures(self, store: ThrottleStore) -> None:
        """A key never seen has zero failures and no latest time."""
        assert await store.failures("ip:192.0.2.1", now=T0, window=WINDOW) == (0, None)

    async def test_record_counts_within_window(self, store: ThrottleStore) -> None:
        """Each failure returns the count in the window including itself."""
        assert await store.record_failure("k", now=T0, window=WINDOW) == 1
        assert await store.record_failure("k", now=T0 + 1, window=WINDOW) == 2
        assert await store.record_failure("k", now=T0 + 2, window=WINDOW) == 3
        assert await store.failures("k", now=T0 + 2, window=WINDOW) == (3, T0 + 2)

    async def test_window_boundary(self, store: ThrottleStore) -> None:
        """A failure counts until ``window`` seconds later, then slides out."""
        await store.record_failure("k", now=T0, window=WINDOW)
        assert await store.failures("k", now=T0 + WINDOW - 0.001, window=WINDOW) == (1, T0)
        assert await store.failures("k", now=T0 + WINDOW, window=WINDOW) == (0, None)

    async def test_window_slides(self, store: ThrottleStore) -> None:
        """Old failures leave one by one; the count is never reset wholesale."""
        for offset in (0.0, 10.0, 20.0):
            await store.record_failure("k", now=T0 + offset, window=WINDOW)
        assert await store.failures("k", now=T0 + WINDOW + 5, window=WINDOW) == (2, T0 + 20)
        assert await store.record_failure("k", now=T0 + WINDOW + 15, window=WINDOW) == 2
        assert await store.failures("k", now=T0 + WINDOW + 15, window=WINDOW) == (
            2,
            T0 + WINDOW + 15,
        )

    async def test_keys_are_independent(self, store: ThrottleStore) -> None:
        """Failures for one key (account, IP) do not count against another."""
        await store.record_failure("user:a", now=T0, window=WINDOW)
        await store.record_failure("user:a", now=T0, window=WINDOW)
        assert await store.record_failure("user:b", now=T0, window=WINDOW) == 1
        assert await store.failures("user:a", now=T0, window=WINDOW) == (2, T0)

    async def test_reset(self, store: ThrottleStore) -> None:
        """``reset`` (after a successful login) forgets the key's failures only."""
        await store.record_failure("a", now=T0, window=WINDOW)
        await store.record_failure("b", now=T0, window=WINDOW)
        await store.reset("a")
        await store.reset("never-seen")
        assert await store.failures("a", now=T0, window=WINDOW) == (0, None)
        assert await store.failures("b", now=T0, window=WINDOW) == (1, T0)
        assert await store.record_failure("a", now=T0 + 1, window=WINDOW) == 1


class TestMemoryThrottleStore(ThrottleStoreContract):
    @pytest.fixture
    def store(self) -> ThrottleStore:
        return MemoryThrottleStore()
