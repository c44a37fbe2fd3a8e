"""Revoked access-token ``jti``\\ s in Redis, shared by every authgate instance.

One key per revoked token, ``{prefix}:revoked:{jti}`` holding the token's
``exp``, with a Redis TTL until ``exp + leeway``: Redis itself forgets an
entry once the token can no longer pass verification, so the list never
grows beyond the tokens still alive.  Every add is also published on
``{prefix}:revocations`` so that :class:`~authgate.stores.redis.sync.RevocationSync`
copies in other instances learn it within milliseconds.
"""

from __future__ import annotations

import contextlib
import math
from typing import Final

from redis.asyncio import Redis

from authgate.core.clock import Clock, SystemClock
from authgate.stores.redis.client import check_prefix, redis_errors, reply_text

__all__ = ["RedisRevokedTokenStore"]

# KEYS[1] entry key; ARGV: exp (repr of a float), TTL in ms, channel, jti.
# Keeps the later expiry when a jti is revoked twice, like the SQL store; the
# SET, its TTL and the PUBLISH happen in one atomic step.
_ADD: Final = """
local current = tonumber(redis.call('GET', KEYS[1]))
local value = ARGV[1]
if current ~= nil and current >= tonumber(value) then
  value = redis.call('GET', KEYS[1])
else
  redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
end
redis.call('PUBLISH', ARGV[3], ARGV[4] .. ' ' .. value)
return 1
"""


class RedisRevokedTokenStore:
    """:class:`~authgate.stores.protocols.RevokedTokenStore` on Redis.

    An entry is live while ``expires_at > now``; adding a ``jti`` again keeps
    the later expiry.  The Redis TTL is ``expires_at + leeway - clock.now()``:
    the verifier still accepts a token up to ``leeway`` seconds past its
    ``exp`` (clock skew), so its revocation must outlive ``exp`` by as much.
    Pass the verifier's leeway (default 30 s, the policy default).  The TTL
    is relative (``PX``) and computed on the injected clock, so the Redis
    host's clock plays no part.

    :meth:`prune` has nothing to do (Redis expires the keys) and returns 0.

    .. warning::
       Redis is the *real-time* copy, not the durable one.  A Redis without
       persistence (or one that loses its data in a failover) forgets every
       revocation written only to it.  Write revocations to the SQL store as
       well and load them at start-up; see
       :class:`~authgate.stores.redis.sync.RevocationSync`.

    Raises:
        StoreError: Redis did not answer (any method).
        ValueError: (constructor) a bad prefix or a negative leeway.
    """

    __slots__ = ("_add", "channel", "client", "clock", "key_prefix", "leeway", "scan_count")

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "authgate",
        leeway: float = 30.0,
        clock: Clock | None = None,
        scan_count: int = 500,
    ) -> None:
        if not (leeway >= 0 and math.isfinite(leeway)):
            raise ValueError("leeway must be a non-negative number of seconds")
        if scan_count < 1:
            raise ValueError("scan_count must be positive")
        self.client = client
        self.leeway = float(leeway)
        self.clock: Clock = SystemClock() if clock is None else clock
        self.key_prefix = f"{check_prefix(prefix)}:revoked:"
        self.channel = f"{prefix}:revocations"
        self.scan_count = scan_count
        self._add = client.register_script(_ADD)

    async def add(self, jti: str, expires_at: float) -> None:
        """Revoke ``jti`` until ``expires_at + leeway``, and tell every instance.

        A token already past ``expires_at + leeway`` is refused by the
        verifier anyway: nothing is stored or published for it.
        """
        ttl_ms = math.ceil((expires_at + self.leeway - self.clock.now()) * 1000)
        if ttl_ms <= 0:
            return
        with redis_errors("revoke"):
            await self._add(
                keys=[self.key_prefix + jti],
                args=[repr(float(expires_at)), ttl_ms, self.channel, jti],
            )

    async def live(self, *, now: float) -> list[tuple[str, float]]:
        """Every stored ``(jti, expires_at)`` with ``expires_at > now``, by jti.

        ``SCAN`` plus one ``MGET`` per page: no single blocking command, so
        a large list does not stall the shared Redis.  Values that are not
        numbers (written by something else) are skipped.
        """
        found: dict[str, float] = {}
        start = len(self.key_prefix)
        with redis_errors("load revocations"):
            cursor: int = 0
            while True:
                cursor, keys = await self.client.scan(
                    cursor, match=self.key_prefix + "*", count=self.scan_count
                )
                if keys:
                    values = await self.client.mget(keys)
                    for key, value in zip(keys, values, strict=True):
                        expires_at = _parse_float(value)
                        if expires_at is not None and expires_at > now:
                            with contextlib.suppress(UnicodeDecodeError):  # not ours
                                found[reply_text(key)[start:]] = expires_at
                if cursor == 0:
                    break
        return sorted(found.items())

    async def prune(self, *, now: float) -> int:
        """Nothing to delete: every entry carries its own TTL."""
        return 0


def _parse_float(value: bytes | str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
