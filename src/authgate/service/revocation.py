"""Revoking access tokens: durable records plus the in-memory list verify reads.

The verifier only ever consults memory (no I/O on the hot path).  Durable
stores let a restarted instance know every revocation (SQL) and let every
instance learn it within milliseconds (Redis, whose publish feeds the other
instances' memory).  They are written before memory: if a store is down the
revocation fails loudly rather than existing in one process only.

An entry must outlive its token by the verifier's leeway: a token is still
accepted until ``exp + leeway``, so loading and pruning look that far back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from authgate.core.clock import Clock
from authgate.core.revocation import RevocationList
from authgate.stores.protocols import RevokedTokenStore

__all__ = ["Revoker"]


class Revoker:
    __slots__ = ("clock", "durable", "leeway", "memory", "sources")

    def __init__(
        self,
        memory: RevocationList,
        durable: Sequence[RevokedTokenStore],
        clock: Clock,
        *,
        leeway: float,
        load_from: Sequence[RevokedTokenStore] | None = None,
    ) -> None:
        """``load_from`` (default: every durable store) are the stores
        :meth:`load` reads; a memory kept current by Redis loads Redis itself."""
        self.memory = memory
        self.durable = tuple(durable)
        self.sources = tuple(self.durable if load_from is None else load_from)
        self.clock = clock
        self.leeway = leeway

    async def revoke(self, tokens: Iterable[tuple[str, float]]) -> int:
        """Revoke ``(jti, exp)`` pairs; returns how many could still verify.

        Raises:
            StoreError: a durable store did not take it (the caller answers 503).
        """
        horizon, count = self.clock.now() - self.leeway, 0
        for jti, expires_at in tokens:
            if expires_at <= horizon:
                continue  # past exp + leeway: refused as expired anyway
            for store in self.durable:
                await store.add(jti, expires_at)
            self.memory.revoke(jti, expires_at)
            count += 1
        return count

    async def load(self) -> int:
        """Fill memory from the durable stores (start-up, resynchronisation)."""
        count = 0
        for store in self.sources:
            for jti, expires_at in await store.live(now=self.clock.now() - self.leeway):
                self.memory.revoke(jti, expires_at)
                count += 1
        return count

    async def prune(self) -> int:
        """Drop durable entries no token can pass verification with any more."""
        horizon = self.clock.now() - self.leeway
        return sum([await store.prune(now=horizon) for store in self.durable])
