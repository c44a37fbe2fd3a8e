"""In-process stores: dicts behind the store Protocols.

Use them for tests, ``--dev`` and — :class:`MemoryThrottleStore` — for login
throttling on a single instance.  They hold nothing across restarts and are
not shared between processes; a deployment with several instances uses
``stores.sql`` and ``stores.redis`` instead.

Atomicity: every method finishes its reads and writes without an ``await``
in between, so on one event loop no other coroutine can interleave.  The
stores whose operations read-then-write (users, sessions) still take an
:class:`asyncio.Lock`, so that a future edit which adds an ``await`` cannot
silently break the "exactly one ROTATED" guarantee of
:meth:`MemorySessionStore.rotate`.  None of these classes is thread-safe:
use one instance per event loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import deque
from typing import Final

from authgate.core.errors import EmailTakenError, NotFoundError
from authgate.stores.records import Family, RefreshRecord, RotationOutcome, RotationResult, User

__all__ = [
    "MemoryRevokedTokenStore",
    "MemorySessionStore",
    "MemoryThrottleStore",
    "MemoryUserStore",
]

#: Reason recorded on a family revoked because a spent refresh token came back.
REUSE_REASON: Final = "refresh_reuse"


class MemoryUserStore:
    """Accounts in a dict, unique on ``email.casefold()`` like the SQL store.

    Raises:
        EmailTakenError: ``add``/``update`` to an email another user has.
        NotFoundError: ``update`` of an id that is not stored.
        ValueError: ``add`` of an id that is already stored (a caller bug:
            ids are random).
    """

    def __init__(self) -> None:
        self._users: dict[str, User] = {}
        self._by_email: dict[str, str] = {}  # email.casefold() -> id
        self._lock = asyncio.Lock()

    async def add(self, user: User) -> None:
        async with self._lock:
            if user.id in self._users:
                raise ValueError("a user with this id already exists")
            key = user.email.casefold()
            if key in self._by_email:
                raise EmailTakenError("this email is already registered")
            self._users[user.id] = user
            self._by_email[key] = user.id

    async def get(self, user_id: str) -> User | None:
        return self._users.get(user_id)

    async def get_by_email(self, email: str) -> User | None:
        user_id = self._by_email.get(email.casefold())
        return None if user_id is None else self._users[user_id]

    async def update(self, user: User) -> None:
        async with self._lock:
            old = self._users.get(user.id)
            if old is None:
                raise NotFoundError("no such user")
            key = user.email.casefold()
            if self._by_email.get(key, user.id) != user.id:
                raise EmailTakenError("this email is already registered")
            del self._by_email[old.email.casefold()]
            self._by_email[key] = user.id
            self._users[user.id] = user

    async def list_users(self, *, limit: int = 100, offset: int = 0) -> list[User]:
        ordered = sorted(self._users.values(), key=lambda u: (u.created_at, u.id))
        return ordered[offset : offset + limit]


class MemorySessionStore:
    """Refresh-token families with the same rotation semantics as the SQL store
    (see :mod:`authgate.stores.sql.sessions`: GRACE needs ``grace_seconds > 0``;
    an expired family or token answers REVOKED).

    The session store does not know the user store, so unlike the SQL store
    it accepts a family whose ``user_id`` names no stored user.

    Raises:
        ValueError: ``create_family`` with a family id or token hash that is
            already stored (a caller bug: both are random).
        NotFoundError: ``record_access_token`` for an unknown family.
    """

    def __init__(self) -> None:
        self._families: dict[str, Family] = {}
        self._refresh: dict[bytes, RefreshRecord] = {}
        self._access: dict[str, dict[str, float]] = {}  # family id -> jti -> exp
        self._lock = asyncio.Lock()

    async def create_family(self, family: Family, first: RefreshRecord) -> None:
        async with self._lock:
            if family.id in self._families or first.token_hash in self._refresh:
                raise ValueError("family or refresh token already exists")
            self._families[family.id] = family
            self._refresh[first.token_hash] = dataclasses.replace(first, family_id=family.id)
            self._access[family.id] = {}

    async def rotate(
        self,
        presented_hash: bytes,
        successor: RefreshRecord,
        successor_box: bytes,
        *,
        now: float,
        grace_seconds: float,
        ip: str | None,
        user_agent: str | None,
    ) -> RotationResult:
        async with self._lock:
            record = self._refresh.get(presented_hash)
            if record is None:
                return RotationResult(RotationOutcome.UNKNOWN)
            family = self._families[record.family_id]
            if family.revoked_at is not None or family.expires_at <= now:
                return RotationResult(RotationOutcome.REVOKED, family=family)
            if record.expires_at <= now:
                return RotationResult(RotationOutcome.REVOKED, family=family)
            if record.spent_at is None:
                self._refresh[presented_hash] = dataclasses.replace(
                    record, spent_at=now, successor_box=successor_box
                )
                self._refresh[successor.token_hash] = dataclasses.replace(
                    successor, family_id=family.id, spent_at=None, successor_box=None
                )
                family = dataclasses.replace(
                    family,
                    last_used_at=now,
                    expires_at=successor.expires_at,
                    ip=family.ip if ip is None else ip,
                    user_agent=family.user_agent if user_agent is None else user_agent,
                )
                self._families[family.id] = family
                return RotationResult(RotationOutcome.ROTATED, family=family)
            if (
                grace_seconds > 0
                and record.successor_box is not None
                and now - record.spent_at <= grace_seconds
            ):
                return RotationResult(
                    RotationOutcome.GRACE, family=family, successor_box=record.successor_box
                )
            family = dataclasses.replace(family, revoked_at=now, revoked_reason=REUSE_REASON)
            self._families[family.id] = family
            return RotationResult(
                RotationOutcome.REUSED, family=family, live_access=self._live_access(family.id, now)
            )

    async def record_access_token(self, family_id: str, jti: str, expires_at: float) -> None:
        async with self._lock:
            tokens = self._access.get(family_id)
            if tokens is None:
                raise NotFoundError("no such session")
            tokens.setdefault(jti, expires_at)

    async def revoke_families(
        self,
        user_id: str,
        *,
        now: float,
        reason: str,
        family_id: str | None = None,
        keep_family_id: str | None = None,
    ) -> list[tuple[str, float]]:
        async with self._lock:
            live: list[tuple[str, float]] = []
            for family in list(self._families.values()):
                if (
                    family.user_id != user_id
                    or family.revoked_at is not None
                    or (family_id is not None and family.id != family_id)
                    or family.id == keep_family_id
                ):
                    continue
                self._families[family.id] = dataclasses.replace(
                    family, revoked_at=now, revoked_reason=reason
                )
                live.extend(self._live_access(family.id, now))
            return sorted(live)

    async def list_families(self, user_id: str, *, now: float) -> list[Family]:
        live = [
            f
            for f in self._families.values()
            if f.user_id == user_id and f.revoked_at is None and f.expires_at > now
        ]
        return sorted(live, key=lambda f: (f.last_used_at, f.id), reverse=True)

    async def get_family(self, family_id: str) -> Family | None:
        return self._families.get(family_id)

    def _live_access(self, family_id: str, now: float) -> tuple[tuple[str, float], ...]:
        tokens = self._access.get(family_id, {})
        return tuple(sorted((jti, exp) for jti, exp in tokens.items() if exp > now))


class MemoryRevokedTokenStore:
    """Revoked access-token ``jti``\\ s in a dict; a token is live while
    ``expires_at > now``.  Adding a ``jti`` twice keeps the later expiry."""

    def __init__(self) -> None:
        self._entries: dict[str, float] = {}

    async def add(self, jti: str, expires_at: float) -> None:
        self._entries[jti] = max(expires_at, self._entries.get(jti, expires_at))

    async def live(self, *, now: float) -> list[tuple[str, float]]:
        return sorted((jti, exp) for jti, exp in self._entries.items() if exp > now)

    async def prune(self, *, now: float) -> int:
        expired = [jti for jti, exp in self._entries.items() if exp <= now]
        for jti in expired:
            del self._entries[jti]
        return len(expired)


class MemoryThrottleStore:
    """Sliding-window login-failure counters for one instance.

    A failure at ``t`` counts while ``now - t < window``: at exactly
    ``t + window`` it has left the window.  Each key keeps at most
    ``max_per_key`` timestamps (the count saturates there, which is far above
    any lockout threshold), and keys whose newest failure has left the
    window are swept every ``sweep_every`` recorded failures, so a spray of
    distinct keys cannot grow memory without bound.
    """

    def __init__(self, *, max_per_key: int = 1000, sweep_every: int = 1024) -> None:
        if max_per_key < 1 or sweep_every < 1:
            raise ValueError("max_per_key and sweep_every must be positive")
        self._max_per_key = max_per_key
        self._sweep_every = sweep_every
        self._failures: dict[str, deque[float]] = {}
        self._recorded = 0

    async def record_failure(self, key: str, *, now: float, window: float) -> int:
        self._recorded += 1
        if self._recorded % self._sweep_every == 0:
            self._sweep(now, window)
        times = self._failures.get(key)
        if times is None:
            times = self._failures[key] = deque(maxlen=self._max_per_key)
        times.append(now)
        _drop_old(times, now, window)
        return len(times)

    async def failures(self, key: str, *, now: float, window: float) -> tuple[int, float | None]:
        times = self._failures.get(key)
        if times is None:
            return 0, None
        _drop_old(times, now, window)
        if not times:
            del self._failures[key]
            return 0, None
        return len(times), max(times)

    async def reset(self, key: str) -> None:
        self._failures.pop(key, None)

    def _sweep(self, now: float, window: float) -> None:
        stale = [k for k, times in self._failures.items() if not times or times[-1] <= now - window]
        for k in stale:
            del self._failures[k]


def _drop_old(times: deque[float], now: float, window: float) -> None:
    """Drop timestamps that are ``window`` or more seconds before ``now``.

    Timestamps arrive in order from one clock, so the oldest are on the left.
    """
    cutoff = now - window
    while times and times[0] <= cutoff:
        times.popleft()
