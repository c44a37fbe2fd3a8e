"""The access-token revocation list the verifier consults on every call.

The verifier's lookup is synchronous and in memory on purpose: the hot path
does no I/O.  Distributed backends (Redis) keep a local copy current and
implement the same Protocol.  Entries only need to live until the token's
``exp`` plus the verifier's clock-skew leeway: after that the token is
refused as expired anyway.
"""

from __future__ import annotations

import heapq
from typing import Protocol, runtime_checkable

from authgate.core.clock import Clock

__all__ = ["MemoryRevocationList", "RevocationList"]


@runtime_checkable
class RevocationList(Protocol):
    """Revoked ``jti``\\ s with the expiry of the token they belong to.

    Raises (from ``is_revoked``):
        StoreError: a backend that cannot vouch for its copy fails closed.
    """

    def is_revoked(self, jti: str) -> bool: ...

    def revoke(self, jti: str, expires_at: float) -> None: ...


class MemoryRevocationList:
    """Process-local revocations, pruned once their tokens have expired.

    Pruning is amortised into :meth:`revoke` (a heap ordered by expiry), so
    the list never grows beyond the tokens that are still alive.
    """

    __slots__ = ("_clock", "_entries", "_heap", "_leeway")

    def __init__(self, clock: Clock, *, leeway: float = 30.0) -> None:
        self._clock = clock
        self._leeway = leeway
        self._entries: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._entries)

    def is_revoked(self, jti: str) -> bool:
        return jti in self._entries

    def revoke(self, jti: str, expires_at: float) -> None:
        now = self._clock.now()
        self.prune(now)
        expires_at += self._leeway  # the verifier still accepts it this long
        if expires_at <= now:
            return
        if self._entries.get(jti, -1.0) < expires_at:
            self._entries[jti] = expires_at
            heapq.heappush(self._heap, (expires_at, jti))

    def prune(self, now: float) -> None:
        """Drop entries whose token can no longer pass verification at ``now``."""
        heap, entries = self._heap, self._entries
        while heap and heap[0][0] <= now:
            expires_at, jti = heapq.heappop(heap)
            if entries.get(jti) == expires_at:
                del entries[jti]
