"""Revoking access tokens: durable record plus the in-memory list verify reads.

The verifier only ever consults memory (no I/O on the hot path); the durable
store lets a restarted instance (and, with Redis, every instance) know the
same revocations.  Write durable first: if the store is down the revocation
fails loudly rather than existing only in one process.
"""

from __future__ import annotations

from collections.abc import Iterable

from authgate.core.clock import Clock
from authgate.core.revocation import RevocationList
from authgate.stores.protocols import RevokedTokenStore

__all__ = ["Revoker"]


class Revoker:
    __slots__ = ("clock", "durable", "memory")

    def __init__(self, memory: RevocationList, durable: RevokedTokenStore, clock: Clock) -> None:
        self.memory = memory
        self.durable = durable
        self.clock = clock

    async def revoke(self, tokens: Iterable[tuple[str, float]]) -> int:
        """Revoke ``(jti, exp)`` pairs; returns how many were still alive."""
        now, count = self.clock.now(), 0
        for jti, expires_at in tokens:
            if expires_at <= now - 60:
                continue  # long expired: nothing to protect
            await self.durable.add(jti, expires_at)
            self.memory.revoke(jti, expires_at)
            count += 1
        return count

    async def load(self) -> int:
        """Fill memory from the durable store (start-up, resynchronisation)."""
        live = await self.durable.live(now=self.clock.now())
        for jti, expires_at in live:
            self.memory.revoke(jti, expires_at)
        return len(live)
