"""The access-token revocation list the verifier consults on every call.

The verifier's lookup is synchronous and in memory on purpose: the hot path
does no I/O.  Distributed backends (Redis) keep a local copy current and
implement the same Protocol.  Entries only need to live until the token's
``exp`` plus the verifier's clock-skew leeway: after that the token is
refused as expired anyway.
"""

from __future__ import annotations

import heapq
from array import array
from typing import Final, Protocol, runtime_checkable

from authgate.core.clock import Clock

__all__ = ["MemoryRevocationList", "RevocationList"]

_ID_MASK: Final = (1 << 60) - 1  # two 30-bit digits: the smallest boxed int that is safe


@runtime_checkable
class RevocationList(Protocol):
    """Revoked ``jti``\\ s with the expiry of the token they belong to.

    Raises (from ``is_revoked``):
        StoreError: a backend that cannot vouch for its copy fails closed.
    """

    def is_revoked(self, jti: str) -> bool: ...

    def revoke(self, jti: str, expires_at: float) -> None: ...


class _Bucket(array):  # type: ignore[type-arg]
    """The ids of entries that expire at one ``deadline`` (unboxed 8-byte ints)."""

    deadline: float


class MemoryRevocationList:
    """Process-local revocations, pruned once their tokens have expired.

    Sized for a million live entries in well under 100 MB: an entry is a
    60-bit hash of its ``jti`` (Python's per-process randomised SipHash, so
    an attacker cannot aim for collisions; a collision can only refuse a
    valid token, never accept a revoked one) mapped to the bucket of entries
    sharing its deadline.  Buckets hold their ids unboxed, and pruning drops
    whole buckets in deadline order, amortised into :meth:`revoke`, so the
    list never grows beyond the tokens that can still verify.
    """

    __slots__ = ("_buckets", "_clock", "_deadlines", "_leeway", "_live")

    def __init__(self, clock: Clock, *, leeway: float = 30.0) -> None:
        self._clock = clock
        self._leeway = leeway
        self._live: dict[int, _Bucket] = {}
        self._buckets: dict[float, _Bucket] = {}
        self._deadlines: list[float] = []

    def __len__(self) -> int:
        return len(self._live)

    def is_revoked(self, jti: str) -> bool:
        return hash(jti) & _ID_MASK in self._live

    def revoke(self, jti: str, expires_at: float) -> None:
        now = self._clock.now()
        self.prune(now)
        deadline = expires_at + self._leeway  # the verifier still accepts it this long
        if deadline <= now:
            return
        entry = hash(jti) & _ID_MASK
        current = self._live.get(entry)
        if current is not None and current.deadline >= deadline:
            return  # never shorten an entry's life
        bucket = self._buckets.get(deadline)
        if bucket is None:
            bucket = self._buckets[deadline] = _Bucket("q")
            bucket.deadline = deadline
            heapq.heappush(self._deadlines, deadline)
        bucket.append(entry)
        self._live[entry] = bucket

    def prune(self, now: float) -> None:
        """Drop entries whose token can no longer pass verification at ``now``."""
        deadlines, live = self._deadlines, self._live
        while deadlines and deadlines[0] <= now:
            bucket = self._buckets.pop(heapq.heappop(deadlines))
            for entry in bucket:
                if live.get(entry) is bucket:
                    del live[entry]
