"""Redis backends: the shared real-time state of several authgate instances.

- :class:`RedisRevokedTokenStore`: revoked ``jti``\\ s with a TTL, published on change;
- :class:`RevocationSync`: each instance's in-memory copy, kept current by pub/sub;
- :class:`RedisThrottleStore`: login-failure counters shared by all instances;
- :func:`create_client`: a client that reports failures within ~2 s.

Every store method raises :class:`~authgate.core.errors.StoreError` when Redis
does not answer.  Wiring, for one instance of several::

    client = create_client(settings.redis_url)
    revoked = RedisRevokedTokenStore(client, leeway=settings.leeway, clock=clock)
    revocations = RevocationSync(revoked, clock, on_state_change=log_redis_state)
    await revocations.start()  # readiness: revocations.synchronised
    throttle_store = RedisThrottleStore(client)
    ...
    await revocations.stop()
    await client.aclose()
"""

from __future__ import annotations

from authgate.stores.redis.client import create_client, normalize_redis_url
from authgate.stores.redis.revocations import RedisRevokedTokenStore
from authgate.stores.redis.sync import RevocationPolicy, RevocationSync
from authgate.stores.redis.throttle import RedisThrottleStore

__all__ = [
    "RedisRevokedTokenStore",
    "RedisThrottleStore",
    "RevocationPolicy",
    "RevocationSync",
    "create_client",
    "normalize_redis_url",
]
