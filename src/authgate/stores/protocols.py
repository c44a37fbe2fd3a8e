"""What the service layer needs from persistence, as small Protocols.

Backends: ``stores.sql`` (SQLite by default, PostgreSQL), ``stores.memory``
(tests, throttling on one instance) and, for shared real-time state,
``stores.redis``.  Every backend passes the contract suite for its Protocol in
``tests/contracts/``.  All methods raise :class:`~authgate.core.errors.StoreError`
when the backend does not answer; callers fail closed.
"""

from __future__ import annotations

from typing import Protocol

from authgate.stores.records import Family, RefreshRecord, RotationResult, User

__all__ = ["RevokedTokenStore", "SessionStore", "ThrottleStore", "UserStore"]


class UserStore(Protocol):
    """Accounts.

    Raises:
        EmailTakenError: ``add`` of an email already registered (case-insensitively).
        StoreError: backend unavailable.
    """

    async def add(self, user: User) -> None: ...

    async def get(self, user_id: str) -> User | None: ...

    async def get_by_email(self, email: str) -> User | None:
        """Case-insensitive lookup."""
        ...

    async def update(self, user: User) -> None:
        """Replace the stored user with the same ``id``.

        Raises:
            NotFoundError: no user with that id.
        """
        ...

    async def list_users(self, *, limit: int = 100, offset: int = 0) -> list[User]:
        """Ordered by creation time."""
        ...


class SessionStore(Protocol):
    """Refresh-token families, their members (hashes only) and the access
    tokens issued in each family."""

    async def create_family(self, family: Family, first: RefreshRecord) -> None: ...

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
        """Spend ``presented_hash`` and store ``successor``, in one transaction.

        Race-free: of concurrent callers presenting the same token, exactly one
        gets ROTATED; the others get GRACE (within ``grace_seconds`` of the
        spend, with the winner's ``successor_box``) or REUSED (later; the
        family is then revoked in the same transaction).
        """
        ...

    async def record_access_token(self, family_id: str, jti: str, expires_at: float) -> None:
        """Remember an access token issued in the family, to revoke it with it."""
        ...

    async def revoke_families(
        self,
        user_id: str,
        *,
        now: float,
        reason: str,
        family_id: str | None = None,
        keep_family_id: str | None = None,
    ) -> list[tuple[str, float]]:
        """Revoke one family of the user (``family_id``) or all of them (but
        ``keep_family_id``); return live access tokens ``(jti, exp)`` of the
        revoked families.  Revoking another user's family is a no-op."""
        ...

    async def list_families(self, user_id: str, *, now: float) -> list[Family]:
        """Live (unrevoked, unexpired) families, newest first."""
        ...

    async def get_family(self, family_id: str) -> Family | None: ...


class RevokedTokenStore(Protocol):
    """Durable list of revoked access-token ``jti``\\ s, so a restart (or a
    second instance) knows them.  Entries are dropped after ``expires_at``."""

    async def add(self, jti: str, expires_at: float) -> None: ...

    async def live(self, *, now: float) -> list[tuple[str, float]]: ...

    async def prune(self, *, now: float) -> int:
        """Delete expired entries; return how many."""
        ...


class ThrottleStore(Protocol):
    """Sliding-window failure counters for login throttling."""

    async def record_failure(self, key: str, *, now: float, window: float) -> int:
        """Add a failure at ``now``; return failures within the last ``window`` s."""
        ...

    async def failures(self, key: str, *, now: float, window: float) -> tuple[int, float | None]:
        """Failures within the window and the time of the latest one."""
        ...

    async def reset(self, key: str) -> None: ...
