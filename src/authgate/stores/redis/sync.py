"""The local revocation list of one instance, kept current from Redis pub/sub.

``/auth/verify`` must answer without a network call (DESIGN.md, request
paths), so each instance keeps every live revocation in memory:

1. SUBSCRIBE to ``{prefix}:revocations`` and wait for the confirmation;
2. only then load every live entry -- a revocation published while loading
   is already queued on the subscription, so none is lost;
3. mark the copy synchronised and apply each published revocation.

A broken connection, or a subscription that does not answer a heartbeat
PING, marks the copy unsynchronised; the task reconnects with backoff and
subscribes and reloads *before* trusting the copy again.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Final, Literal, Self

from redis.asyncio.client import PubSub
from redis.asyncio.connection import ConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import TimeoutError as RedisTimeoutError

from authgate.core.clock import Clock
from authgate.core.errors import ConfigurationError, StoreError
from authgate.core.revocation import MemoryRevocationList
from authgate.stores.protocols import RevokedTokenStore
from authgate.stores.redis.client import reply_text
from authgate.stores.redis.revocations import RedisRevokedTokenStore

__all__ = ["RevocationPolicy", "RevocationSync"]

RevocationPolicy = Literal["fail_closed", "fail_open"]

_POLICIES: Final = ("fail_closed", "fail_open")


class RevocationSync:
    """A :class:`~authgate.core.revocation.RevocationList` mirrored from Redis.

    ``is_revoked`` is synchronous and reads memory only.  ``revoke`` adds to
    memory at once (the :class:`~authgate.service.revocation.Revoker` has
    written the store first, whose PUBLISH brings it here again: harmless).

    Reloads *merge* into memory and never forget an entry before its token
    expires: revocations are never undone, so keeping what this instance
    already knew is always safe.  Revocations loaded from the SQL store
    (``await Revoker(sync, sql_store, clock).load()``) stay in memory the same way.

    .. warning::
       Redis is not the durable copy.  If Redis restarts without persistence
       (or fails over and loses writes), every revocation written only to it
       is gone: running instances keep theirs in memory, but an instance
       started afterwards never learns them.  Keep writing revocations to
       the SQL store too and load them at start-up.

    Args:
        store: where entries live; its client, ``prefix``/channel, ``leeway``
            and the clock it got are used.  The subscription gets a
            connection pool of its own, with the same settings but no
            silent retries (a retry would resubscribe without reloading).
        clock: staleness is measured on it.
        policy: ``"fail_closed"`` (default) or ``"fail_open"``.
        max_staleness: ``fail_open`` only (required there, > 0): seconds after
            the loss during which the stale copy is still trusted.
        heartbeat: a subscription quiet this long is PINGed; no answer within
            the same time counts as a loss (a silent network partition).
        backoff: first and largest pause between reconnect attempts, doubling.
        durable: stores (SQL) also read at every (re)synchronisation, so a
            revocation written there while Redis was unreachable is learnt
            when it returns.
        on_state_change: called with ``False`` when the copy stops being
            trustworthy and ``True`` when it is again (for one clear log
            event).  Runs on the event loop; exceptions from it are ignored.

    Raises:
        StoreError: from ``is_revoked``, before the first synchronisation,
            after :meth:`stop`, and while unsynchronised (``fail_closed``, or
            ``fail_open`` past ``max_staleness``).
        ConfigurationError: (constructor) inconsistent settings, all listed.
    """

    def __init__(
        self,
        store: RedisRevokedTokenStore,
        clock: Clock,
        *,
        policy: RevocationPolicy = "fail_closed",
        max_staleness: float | None = None,
        heartbeat: float = 1.0,
        backoff: tuple[float, float] = (0.05, 1.0),
        on_state_change: Callable[[bool], object] | None = None,
        durable: Sequence[RevokedTokenStore] = (),
    ) -> None:
        _check_settings(policy, max_staleness, heartbeat, backoff)
        self._durable = tuple(durable)
        self._store = store
        self._clock = clock
        self._policy = policy
        self._max_staleness = max_staleness or 0.0
        self._heartbeat = heartbeat
        self._backoff = backoff
        self._on_state_change = on_state_change
        self._memory = MemoryRevocationList(clock, leeway=store.leeway)
        self._synchronised = False
        self._ready = asyncio.Event()
        self._lost_at: float | None = None  # clock time of the loss; None: never trusted
        self._last_error: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._pool: ConnectionPool | None = None

    def is_revoked(self, jti: str) -> bool:
        """Whether ``jti`` is revoked, from memory, if the copy can be trusted."""
        if not self._synchronised:
            lost_at = self._lost_at
            if (
                self._policy != "fail_open"
                or lost_at is None
                or self._clock.now() - lost_at >= self._max_staleness
            ):
                raise StoreError("revocation list unavailable")
        return self._memory.is_revoked(jti)

    def revoke(self, jti: str, expires_at: float) -> None:
        self._memory.revoke(jti, expires_at)

    def __len__(self) -> int:
        return len(self._memory)

    @property
    def synchronised(self) -> bool:
        """True while memory is known to hold every live revocation in Redis."""
        return self._synchronised

    @property
    def unsynchronised_since(self) -> float | None:
        """Clock time the copy was lost (``None`` while synchronised or never yet)."""
        return self._lost_at

    @property
    def last_error(self) -> str | None:
        """Class name of the failure behind the latest loss (no message, no data)."""
        return self._last_error

    async def wait_synchronised(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the copy to be trusted; return whether it is."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._ready.wait()
        return self._synchronised

    async def start(self) -> None:
        """Launch the background task (returns at once; see :meth:`wait_synchronised`).

        Raises:
            RuntimeError: already started.
        """
        if self._task is not None:
            raise RuntimeError("RevocationSync is already started")
        source = self._store.client.connection_pool
        kwargs = {
            **source.connection_kwargs,
            "retry": Retry(NoBackoff(), 0),
            "health_check_interval": 0,  # the heartbeat below does this job
        }
        self._pool = ConnectionPool(connection_class=source.connection_class, **kwargs)
        self._task = asyncio.create_task(self._run(self._pool), name="authgate-revocation-sync")

    async def stop(self) -> None:
        """Cancel the background task and close its connections; idempotent."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.aclose()
        self._synchronised = False
        self._ready.clear()
        self._lost_at = None  # not kept current any more: refuse in every policy

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _run(self, pool: ConnectionPool) -> None:
        first, largest = self._backoff
        delay = first
        while True:
            try:
                await self._session(pool)
            except Exception as err:  # noqa: BLE001 -- whatever broke: distrust, reconnect
                if self._synchronised:
                    delay = first  # a fresh loss: retry quickly
                self._lose(err)
            await asyncio.sleep(delay)
            delay = min(delay * 2, largest)

    async def _session(self, pool: ConnectionPool) -> None:
        pubsub = PubSub(pool)
        try:
            await pubsub.subscribe(self._store.channel)
            await self._confirmed(pubsub)
            leeway = self._store.leeway
            for jti, expires_at in await self._store.live(now=self._clock.now() - leeway):
                self._memory.revoke(jti, expires_at)
            for source in self._durable:  # revocations Redis missed while it was down
                for jti, expires_at in await source.live(now=self._clock.now() - leeway):
                    self._memory.revoke(jti, expires_at)
            self._trust()
            await self._listen(pubsub)
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated

    async def _confirmed(self, pubsub: PubSub) -> None:
        """Wait for Redis to confirm the SUBSCRIBE: from then on nothing is missed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(2.0, 2 * self._heartbeat)
        while loop.time() < deadline:
            message = await pubsub.get_message(timeout=deadline - loop.time())
            if message is not None and message["type"] == "subscribe":
                return
        raise RedisTimeoutError("no subscription confirmation")

    async def _listen(self, pubsub: PubSub) -> None:
        loop = asyncio.get_running_loop()
        heartbeat = self._heartbeat
        last_heard = loop.time()
        pinged_at: float | None = None
        while True:
            message = await pubsub.get_message(timeout=heartbeat / 2)
            now = loop.time()
            if message is not None:
                last_heard, pinged_at = now, None
                kind = message["type"]
                if kind == "message":
                    self._apply(message["data"])
                elif kind == "subscribe":  # resubscribed behind our back: reload
                    raise RedisTimeoutError("subscription was re-established")
            elif pinged_at is not None:
                if now - pinged_at >= heartbeat:
                    raise RedisTimeoutError("heartbeat not answered")
            elif now - last_heard >= heartbeat:
                await pubsub.ping()
                pinged_at = now

    def _apply(self, data: bytes | str) -> None:
        """Apply ``"<jti> <expires_at>"``; anything else is ignored (never logged)."""
        try:
            jti, _, expires = reply_text(data).rpartition(" ")
            expires_at = float(expires)
        except (UnicodeDecodeError, ValueError):
            return
        if jti and math.isfinite(expires_at):
            self._memory.revoke(jti, expires_at)

    def _trust(self) -> None:
        if self._synchronised:
            return
        self._synchronised, self._lost_at = True, None
        self._ready.set()
        self._notify(True)

    def _lose(self, err: BaseException) -> None:
        self._last_error = type(err).__name__
        if not self._synchronised:
            return
        self._synchronised, self._lost_at = False, self._clock.now()
        self._ready.clear()
        self._notify(False)

    def _notify(self, synchronised: bool) -> None:
        if self._on_state_change is not None:
            with contextlib.suppress(Exception):
                self._on_state_change(synchronised)


def _check_settings(
    policy: str, max_staleness: float | None, heartbeat: float, backoff: tuple[float, float]
) -> None:
    problems = []
    if policy not in _POLICIES:
        problems.append("revocation policy must be 'fail_closed' or 'fail_open'")
    elif policy == "fail_open" and not (max_staleness is not None and max_staleness > 0):
        problems.append("the fail_open revocation policy needs max_staleness > 0 seconds")
    elif policy == "fail_closed" and max_staleness is not None:
        problems.append("max_staleness applies to the fail_open revocation policy only")
    if not heartbeat > 0:
        problems.append("heartbeat must be positive")
    if not 0 < backoff[0] <= backoff[1]:
        problems.append("backoff must be (first, largest) with 0 < first <= largest")
    if problems:
        raise ConfigurationError(problems)
