"""Login-failure counters in Redis, so every instance throttles the same guesser.

One sorted set per counter, ``{prefix}:throttle:{sha256(key)[:32]}``: members
are unique per failure, scores are failure times.  Each operation is one Lua
script, so concurrent failures on different instances are all counted.  The
counter key is hashed because throttle keys contain emails and client IPs,
and Redis key names show up in monitoring tools (DESIGN.md: pseudonymous).
"""

from __future__ import annotations

import hashlib
import math
import secrets
from typing import Final

from redis.asyncio import Redis

from authgate.stores.redis.client import check_prefix, redis_errors, reply_text

__all__ = ["RedisThrottleStore"]

# KEYS[1] counter; ARGV: now, cutoff (now - window), unique member, TTL ms, cap.
# A failure at t counts while now - t < window: scores <= cutoff leave.
_RECORD: Final = """
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -1 - tonumber(ARGV[5]))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return redis.call('ZCARD', KEYS[1])
"""

# KEYS[1] counter; ARGV[1] cutoff.  Returns {count} or {count, latest score}.
_FAILURES: Final = """
local count = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[1], '+inf')
if count == 0 then
  return {0}
end
local latest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
return {count, latest[2]}
"""


class RedisThrottleStore:
    """:class:`~authgate.stores.protocols.ThrottleStore` shared through Redis.

    Same semantics as the in-memory store: a failure at ``t`` counts while
    ``now - t < window`` (at exactly ``t + window`` it has left); each
    counter keeps at most ``max_per_key`` failures (the count saturates
    there, far above any lockout threshold).  A counter's key expires one
    ``window`` (plus 1 s) after its latest failure, so abandoned counters
    cost nothing.

    Times come from the caller's ``now`` (the service's injected clock), so
    instances must keep their clocks in sync (NTP), as token expiry needs anyway.

    Raises:
        StoreError: Redis did not answer (any method).
        ValueError: (constructor) a bad prefix or ``max_per_key`` < 1.
    """

    __slots__ = ("_failures", "_record", "client", "key_prefix", "max_per_key")

    def __init__(self, client: Redis, *, prefix: str = "authgate", max_per_key: int = 1000) -> None:
        if max_per_key < 1:
            raise ValueError("max_per_key must be positive")
        self.client = client
        self.key_prefix = f"{check_prefix(prefix)}:throttle:"
        self.max_per_key = max_per_key
        self._record = client.register_script(_RECORD)
        self._failures = client.register_script(_FAILURES)

    def key(self, key: str) -> str:
        """The Redis key of a counter (hashed: counters name emails and IPs)."""
        return self.key_prefix + hashlib.sha256(key.encode()).hexdigest()[:32]

    async def record_failure(self, key: str, *, now: float, window: float) -> int:
        member = f"{now!r}:{secrets.token_hex(8)}"
        ttl_ms = math.ceil(window * 1000) + 1000
        args: list[str | int] = [
            repr(float(now)),
            repr(float(now - window)),
            member,
            ttl_ms,
            self.max_per_key,
        ]
        with redis_errors("record failure"):
            count = await self._record(keys=[self.key(key)], args=args)
        return int(count)

    async def failures(self, key: str, *, now: float, window: float) -> tuple[int, float | None]:
        with redis_errors("read failures"):
            reply = await self._failures(keys=[self.key(key)], args=[repr(float(now - window))])
        count = int(reply[0])
        if count == 0:
            return 0, None
        return count, float(reply_text(reply[1]))

    async def reset(self, key: str) -> None:
        with redis_errors("reset failures"):
            await self.client.delete(self.key(key))
