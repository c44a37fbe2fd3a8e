"""Connecting to Redis: URL checks, a client that fails fast, error translation.

Redis holds authgate's *real-time* shared state (revocation list, login
throttles, pub/sub).  When it does not answer, callers must learn so within
a second or two and fail closed, not hang on TCP retransmits or retry for
ten seconds: hence short timeouts, TCP keepalive, a health check on idle
pooled connections and a single immediate retry on a refused connection.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from authgate.core.errors import StoreError

__all__ = ["check_prefix", "create_client", "normalize_redis_url", "redis_errors", "reply_text"]

SCHEMES: Final = frozenset({"redis", "rediss"})
_PREFIX: Final = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def normalize_redis_url(url: str) -> str:
    """Check a Redis URL and return it with surrounding space and scheme case fixed.

    Accepts ``redis://`` (plain TCP) and ``rediss://`` (TLS) with a host, an
    optional port and an optional database number path (``/0``).  Unix
    sockets and other schemes are refused, so a typo cannot silently fall
    back to some default server.

    Raises:
        ValueError: not a URL authgate accepts.  The message never repeats
            the URL, which may carry a password.
    """
    text = url.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ValueError("a Redis URL must start with redis:// or rediss://")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the Redis URL has an invalid port") from None
    if not parts.hostname:
        raise ValueError("the Redis URL names no host")
    if port == 0:
        raise ValueError("the Redis URL has an invalid port")
    path = parts.path.strip("/")
    if path and not path.isdigit():
        raise ValueError("the Redis URL path must be a database number, like /0")
    if parts.fragment:
        raise ValueError("the Redis URL must not have a #fragment")
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))


def create_client(
    url: str,
    *,
    connect_timeout: float = 1.0,
    timeout: float = 2.0,
    health_check_interval: float = 5.0,
    max_connections: int = 50,
) -> Redis:
    """A ``redis.asyncio`` client tuned to surface failures within ~2 s.

    ``connect_timeout`` bounds connection set-up, ``timeout`` every reply
    and the wait for a free pooled connection (a burst beyond
    ``max_connections`` queues instead of failing at once).  Pooled
    connections idle for ``health_check_interval`` seconds are pinged before
    reuse.  A refused connection is retried once at once (a pooled
    connection whose server restarted); timeouts are not retried.  Replies
    are bytes (``decode_responses=False``); the stores accept either.

    The caller owns the client: ``await client.aclose()`` at shutdown.

    Raises:
        ValueError: see :func:`normalize_redis_url`, non-positive timeouts
            or pool size.
    """
    if min(connect_timeout, timeout) <= 0 or health_check_interval < 0:
        raise ValueError("Redis timeouts must be positive")
    if max_connections < 1:
        raise ValueError("max_connections must be positive")
    pool = BlockingConnectionPool.from_url(
        normalize_redis_url(url),
        max_connections=max_connections,
        timeout=timeout,
        socket_connect_timeout=connect_timeout,
        socket_timeout=timeout,
        socket_keepalive=True,
        health_check_interval=health_check_interval,
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    )
    return Redis.from_pool(pool)


@contextlib.contextmanager
def redis_errors(operation: str) -> Iterator[None]:
    """Turn any Redis or socket failure inside the block into :class:`StoreError`.

    The message names the operation and the error class only: no key, jti
    or value (they can identify users).
    """
    try:
        yield
    except (RedisError, OSError) as err:  # OSError covers builtin TimeoutError too
        raise StoreError(f"redis did not answer ({operation}: {type(err).__name__})") from err


def check_prefix(prefix: str) -> str:
    """Key prefixes are plain words, so they need no escaping in ``SCAN MATCH``.

    Raises:
        ValueError: empty, longer than 64, or with characters other than
            letters, digits and ``_ . : -``.
    """
    if not _PREFIX.fullmatch(prefix):
        raise ValueError("a Redis key prefix is 1-64 of the characters A-Z a-z 0-9 _ . : -")
    return prefix


def reply_text(value: bytes | str) -> str:
    """A Redis reply as text, whether or not the client decodes responses."""
    return value.decode() if isinstance(value, bytes) else value
