"""Memory-store behaviour beyond the contracts: bounded growth of the throttle."""

from __future__ import annotations

import pytest

from authgate.stores.memory import MemoryThrottleStore

T0 = 1_800_000_000.0


async def test_throttle_sweeps_stale_keys() -> None:
    """A spray of one-off keys does not grow memory: stale keys are swept."""
    store = MemoryThrottleStore(sweep_every=10)
    for n in range(10):
        await store.record_failure(f"ip:{n}", now=T0, window=60)
    for n in range(10):
        await store.record_failure(f"ip:late{n}", now=T0 + 60, window=60)
    assert len(store._failures) == 10  # the first ten left the window and were swept
    assert await store.failures("ip:late0", now=T0 + 60, window=60) == (1, T0 + 60)


async def test_throttle_count_saturates_per_key() -> None:
    """One key holds at most ``max_per_key`` timestamps; the count saturates."""
    store = MemoryThrottleStore(max_per_key=5)
    counts = [await store.record_failure("k", now=T0 + n, window=60) for n in range(8)]
    assert counts == [1, 2, 3, 4, 5, 5, 5, 5]
    assert await store.failures("k", now=T0 + 8, window=60) == (5, T0 + 7)


@pytest.mark.parametrize("kwargs", [{"max_per_key": 0}, {"sweep_every": 0}])
def test_throttle_refuses_nonsense_limits(kwargs: dict[str, int]) -> None:
    """Limits below one would make the throttle count nothing."""
    with pytest.raises(ValueError, match="positive"):
        MemoryThrottleStore(**kwargs)
