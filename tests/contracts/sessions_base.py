"""Shared pieces of the SessionStore contract: fixtures, helpers, constants.

Times are exact floats under a fixed ``T0``.  Subclasses provide the
``store`` and ``users`` fixtures (same backend) and ``refresh_rows``, a view
of every stored refresh row used to check for duplicates and orphans.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from authgate.stores.protocols import SessionStore, UserStore
from authgate.stores.records import Family, RefreshRecord, RotationResult

from .test_user_store import make_user

__all__ = ["GRACE", "HOUR", "T0", "N", "RefreshRows", "SessionStoreBase", "box", "successor"]

T0 = 1_800_000_000.0
HOUR = 3600.0
GRACE = 10.0
N = 50

#: All refresh rows of the store, each with whether its family exists.
RefreshRows = Callable[[], Awaitable[list[tuple[RefreshRecord, bool]]]]


def successor(n: int, family_id: str = "f1", *, at: float = T0) -> RefreshRecord:
    return RefreshRecord(
        token_hash=f"successor-{n}".encode(),
        family_id=family_id,
        issued_at=at,
        expires_at=at + HOUR,
    )


def box(n: int) -> bytes:
    return f"box-{n}".encode()


class SessionStoreBase:
    """Subclasses provide ``store``, ``users`` (same backend) and ``refresh_rows``."""

    @pytest.fixture
    def store(self) -> SessionStore:
        raise NotImplementedError

    @pytest.fixture
    def users(self) -> UserStore:
        raise NotImplementedError

    @pytest.fixture
    def refresh_rows(self, store: SessionStore) -> RefreshRows:
        raise NotImplementedError

    @staticmethod
    async def start(
        store: SessionStore,
        users: UserStore,
        family_id: str = "f1",
        *,
        user_id: str = "u1",
        token: bytes = b"t0",
        expires_at: float = T0 + HOUR,
        first: RefreshRecord | None = None,
    ) -> Family:
        if await users.get(user_id) is None:
            await users.add(make_user(user_id, f"{user_id}@example.com"))
        family = Family(
            id=family_id,
            user_id=user_id,
            created_at=T0,
            last_used_at=T0,
            expires_at=expires_at,
            ip="192.0.2.1",
            user_agent="Firefox",
        )
        record = first or RefreshRecord(token, family_id, issued_at=T0, expires_at=expires_at)
        await store.create_family(family, record)
        return family

    @staticmethod
    async def rotate(
        store: SessionStore,
        presented: bytes,
        n: int,
        *,
        now: float,
        grace: float = GRACE,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> RotationResult:
        return await store.rotate(
            presented,
            successor(n, at=now),
            box(n),
            now=now,
            grace_seconds=grace,
            ip=ip,
            user_agent=user_agent,
        )

    @staticmethod
    async def assert_one_successor(
        store: SessionStore, refresh_rows: RefreshRows, winner: int
    ) -> None:
        rows = await refresh_rows()
        hashes = [record.token_hash for record, _ in rows]
        assert len(hashes) == len(set(hashes)), "duplicated refresh rows"
        assert all(has_family for _, has_family in rows), "orphaned refresh rows"
        assert sorted(hashes) == sorted([b"t0", successor(winner).token_hash])
        by_hash = {record.token_hash: record for record, _ in rows}
        assert by_hash[b"t0"].successor_box == box(winner)
        assert by_hash[b"t0"].spent_at is not None
        assert by_hash[successor(winner).token_hash].spent_at is None
