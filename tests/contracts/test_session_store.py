"""SessionStore contract: refresh-token rotation, reuse detection, revocation.

Grace boundaries are pinned at ``spent_at + grace ± 0.001``; the concurrent
tests live in :mod:`.session_races` and run as part of this contract.
"""

from __future__ import annotations

from typing import cast

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from authgate.core.errors import NotFoundError
from authgate.stores.memory import MemorySessionStore, MemoryUserStore
from authgate.stores.protocols import SessionStore, UserStore
from authgate.stores.records import Family, RefreshRecord, RotationOutcome
from authgate.stores.sql import SqlSessionStore, SqlUserStore
from authgate.stores.sql.tables import families, refresh_tokens

from .session_races import SessionRaceTests
from .sessions_base import GRACE, HOUR, T0, RefreshRows, box, successor
from .test_user_store import make_user


class SessionStoreContract(SessionRaceTests):
    """Subclasses provide ``store``, ``users`` (same backend) and ``refresh_rows``."""

    # -- families --------------------------------------------------------------

    async def test_create_then_get_family(self, store: SessionStore, users: UserStore) -> None:
        """A created family comes back unchanged; unknown ids are None."""
        family = await self.start(store, users)
        assert await store.get_family("f1") == family
        assert await store.get_family("nope") is None

    async def test_duplicate_family_is_refused(self, store: SessionStore, users: UserStore) -> None:
        """Family ids and token hashes are random: a duplicate is a caller bug."""
        await self.start(store, users)
        with pytest.raises(ValueError, match="exists"):
            await self.start(store, users, token=b"other")
        with pytest.raises(ValueError, match="exists"):
            await self.start(store, users, "f2", token=b"t0")

    # -- rotate: single caller -------------------------------------------------

    async def test_unknown_token(self, store: SessionStore, users: UserStore) -> None:
        """A hash that was never stored answers UNKNOWN, without a family."""
        await self.start(store, users)
        result = await self.rotate(store, b"never-issued", 1, now=T0 + 1)
        assert result.outcome is RotationOutcome.UNKNOWN
        assert result.family is None
        assert result.successor_box is None

    async def test_rotated_updates_family(self, store: SessionStore, users: UserStore) -> None:
        """ROTATED returns the family touched: last use, sliding expiry, client."""
        await self.start(store, users)
        now = T0 + 60
        result = await self.rotate(store, b"t0", 1, now=now, ip="198.51.100.7", user_agent="Edge")
        assert result.outcome is RotationOutcome.ROTATED
        assert result.family == Family(
            id="f1",
            user_id="u1",
            created_at=T0,
            last_used_at=now,
            expires_at=now + HOUR,
            ip="198.51.100.7",
            user_agent="Edge",
        )
        assert result.successor_box is None
        assert result.live_access == ()
        assert await store.get_family("f1") == result.family

    async def test_rotated_without_client_keeps_previous(
        self, store: SessionStore, users: UserStore
    ) -> None:
        """``ip``/``user_agent`` of None keep the family's previous values."""
        await self.start(store, users)
        result = await self.rotate(store, b"t0", 1, now=T0 + 1)
        assert result.family is not None
        assert (result.family.ip, result.family.user_agent) == ("192.0.2.1", "Firefox")

    async def test_successor_rotates_in_turn(self, store: SessionStore, users: UserStore) -> None:
        """The stored successor is a live member of the same family."""
        await self.start(store, users)
        first = await self.rotate(store, b"t0", 1, now=T0 + 1)
        second = await self.rotate(store, successor(1).token_hash, 2, now=T0 + 2)
        assert first.outcome is RotationOutcome.ROTATED
        assert second.outcome is RotationOutcome.ROTATED
        assert second.family is not None
        assert second.family.id == "f1"
        assert second.family.last_used_at == T0 + 2

    @pytest.mark.parametrize(
        ("after", "expected"),
        [
            (0.0, RotationOutcome.GRACE),
            (GRACE - 0.001, RotationOutcome.GRACE),
            (GRACE, RotationOutcome.GRACE),
            (GRACE + 0.001, RotationOutcome.REUSED),
        ],
    )
    async def test_grace_window_boundary(
        self, store: SessionStore, users: UserStore, after: float, expected: RotationOutcome
    ) -> None:
        """A spent token is GRACE while ``now - spent_at <= grace``, REUSED after."""
        await self.start(store, users)
        spent_at = T0 + 100
        won = await self.rotate(store, b"t0", 1, now=spent_at)
        again = await self.rotate(store, b"t0", 2, now=spent_at + after)
        assert again.outcome is expected
        if expected is RotationOutcome.GRACE:
            assert again.successor_box == box(1)
            assert again.family == won.family  # unchanged by the grace answer
            assert await store.get_family("f1") == won.family
        else:
            assert again.successor_box is None
            assert again.family is not None
            assert again.family.revoked_at == spent_at + after

    async def test_grace_needs_a_box(self, store: SessionStore, users: UserStore) -> None:
        """A spent token without a successor box is REUSED even inside the window."""
        spent = RefreshRecord(b"t0", "f1", issued_at=T0, expires_at=T0 + HOUR, spent_at=T0)
        await self.start(store, users, first=spent)
        result = await self.rotate(store, b"t0", 1, now=T0)
        assert result.outcome is RotationOutcome.REUSED

    async def test_reuse_revokes_family_and_returns_live_access(
        self, store: SessionStore, users: UserStore
    ) -> None:
        """REUSED revokes the family (reason refresh_reuse) and lists only access
        tokens still alive, so the caller can put exactly those on the list."""
        await self.start(store, users)
        now = T0 + 100
        await store.record_access_token("f1", "expired", now - 1)
        await store.record_access_token("f1", "exactly-now", now)
        await store.record_access_token("f1", "live-b", now + 300)
        await store.record_access_token("f1", "live-a", now + 0.001)
        await self.rotate(store, b"t0", 1, now=T0 + 1)
        result = await self.rotate(store, b"t0", 2, now=now)
        assert result.outcome is RotationOutcome.REUSED
        assert sorted(result.live_access) == [("live-a", now + 0.001), ("live-b", now + 300)]
        assert result.family is not None
        assert (result.family.revoked_at, result.family.revoked_reason) == (now, "refresh_reuse")
        assert await store.get_family("f1") == result.family
        # The thief's and the victim's successor are both dead now.
        after = await self.rotate(store, successor(1).token_hash, 3, now=now + 1)
        assert after.outcome is RotationOutcome.REVOKED

    async def test_revoked_family(self, store: SessionStore, users: UserStore) -> None:
        """A token of a revoked family answers REVOKED and stays unspent."""
        await self.start(store, users)
        await store.revoke_families("u1", now=T0 + 1, reason="logout", family_id="f1")
        result = await self.rotate(store, b"t0", 1, now=T0 + 2)
        assert result.outcome is RotationOutcome.REVOKED
        assert result.family is not None
        assert result.family.revoked_reason == "logout"

    async def test_expired_family_or_token_is_revoked(
        self, store: SessionStore, users: UserStore
    ) -> None:
        """Past ``expires_at`` (family or token) the session is over: REVOKED."""
        await self.start(store, users, expires_at=T0 + HOUR)
        assert (await self.rotate(store, b"t0", 1, now=T0 + HOUR)).outcome is (
            RotationOutcome.REVOKED
        )
        short = RefreshRecord(b"t1", "f2", issued_at=T0, expires_at=T0 + 60)
        await self.start(store, users, "f2", first=short)
        assert (await self.rotate(store, b"t1", 2, now=T0 + 60)).outcome is (
            RotationOutcome.REVOKED
        )
        assert (await self.rotate(store, b"t1", 3, now=T0 + 59)).outcome is (
            RotationOutcome.ROTATED
        )

    async def test_zero_grace_means_no_grace(self, store: SessionStore, users: UserStore) -> None:
        """``grace_seconds=0`` disables the window: presenting a spent token
        again even in the same instant is REUSED, never GRACE."""
        await self.start(store, users)
        await self.rotate(store, b"t0", 1, now=T0 + 1, grace=0.0)
        again = await self.rotate(store, b"t0", 2, now=T0 + 1, grace=0.0)
        assert again.outcome is RotationOutcome.REUSED

    async def test_clock_behind_the_spend_is_within_grace(
        self, store: SessionStore, users: UserStore
    ) -> None:
        """An instance whose clock is behind the spender's (``now < spent_at``)
        is within the window: honest concurrent tabs are not called thieves."""
        await self.start(store, users)
        await self.rotate(store, b"t0", 1, now=T0 + 5)
        again = await self.rotate(store, b"t0", 2, now=T0 + 4)
        assert again.outcome is RotationOutcome.GRACE
        assert again.successor_box == box(1)

    # -- access tokens, revocation, listing ------------------------------------

    async def test_record_access_token_for_unknown_family(self, store: SessionStore) -> None:
        """Access tokens belong to a family; an unknown one raises NotFoundError."""
        with pytest.raises(NotFoundError):
            await store.record_access_token("nope", "jti", T0 + 60)

    async def test_record_access_token_twice_is_harmless(
        self, store: SessionStore, users: UserStore
    ) -> None:
        """Recording the same jti again (a retry) neither fails nor duplicates."""
        await self.start(store, users)
        await store.record_access_token("f1", "jti", T0 + 60)
        await store.record_access_token("f1", "jti", T0 + 60)
        assert await store.revoke_families("u1", now=T0, reason="logout") == [("jti", T0 + 60)]

    async def test_revoke_one_family(self, store: SessionStore, users: UserStore) -> None:
        """Revoking one family returns its live access tokens and leaves the rest."""
        await self.start(store, users, "f1", token=b"a")
        await self.start(store, users, "f2", token=b"b")
        await store.record_access_token("f1", "a-live", T0 + 60)
        await store.record_access_token("f1", "a-dead", T0 - 1)
        await store.record_access_token("f2", "b-live", T0 + 60)
        live = await store.revoke_families("u1", now=T0, reason="logout", family_id="f1")
        assert live == [("a-live", T0 + 60)]
        revoked = await store.get_family("f1")
        assert revoked is not None
        assert (revoked.revoked_at, revoked.revoked_reason) == (T0, "logout")
        other = await store.get_family("f2")
        assert other is not None
        assert other.revoked_at is None

    async def test_revoke_all_but_current(self, store: SessionStore, users: UserStore) -> None:
        """``keep_family_id`` spares the caller's own session ("log out others")."""
        for n in range(3):
            await self.start(store, users, f"f{n}", token=f"t{n}".encode())
            await store.record_access_token(f"f{n}", f"jti{n}", T0 + 60)
        live = await store.revoke_families("u1", now=T0, reason="others", keep_family_id="f1")
        assert sorted(live) == [("jti0", T0 + 60), ("jti2", T0 + 60)]
        assert [f.id for f in await store.list_families("u1", now=T0)] == ["f1"]

    async def test_revoke_is_once(self, store: SessionStore, users: UserStore) -> None:
        """An already revoked family is not revoked again: its tokens, reason
        and time are reported and kept from the first revocation only."""
        await self.start(store, users)
        await store.record_access_token("f1", "jti", T0 + 60)
        assert await store.revoke_families("u1", now=T0, reason="logout") == [("jti", T0 + 60)]
        assert await store.revoke_families("u1", now=T0 + 1, reason="admin") == []
        family = await store.get_family("f1")
        assert family is not None
        assert (family.revoked_at, family.revoked_reason) == (T0, "logout")

    async def test_revoking_another_users_family_is_noop(
        self, store: SessionStore, users: UserStore
    ) -> None:
        """A user cannot revoke (or learn the tokens of) someone else's session."""
        await self.start(store, users, "f1", user_id="u1", token=b"a")
        await store.record_access_token("f1", "jti", T0 + 60)
        await users.add(make_user("u2", "u2@example.com"))
        assert await store.revoke_families("u2", now=T0, reason="x", family_id="f1") == []
        assert await store.revoke_families("u2", now=T0, reason="x") == []
        family = await store.get_family("f1")
        assert family is not None
        assert family.revoked_at is None

    async def test_list_families_live_newest_first(
        self, store: SessionStore, users: UserStore
    ) -> None:
        """Only the user's unrevoked, unexpired families, by last use, newest first."""
        await self.start(store, users, "old", token=b"1")
        await self.start(store, users, "new", token=b"2")
        await self.start(store, users, "gone", token=b"3")
        await self.start(store, users, "expired", token=b"4", expires_at=T0 + 10)
        await self.start(store, users, "theirs", user_id="u2", token=b"5")
        await self.rotate(store, b"2", 1, now=T0 + 5)
        await store.revoke_families("u1", now=T0, reason="logout", family_id="gone")
        live = await store.list_families("u1", now=T0 + 10)
        assert [f.id for f in live] == ["new", "old"]
        assert [f.id for f in await store.list_families("u1", now=T0 + 9.999)] == [
            "new",
            "old",
            "expired",
        ]


class TestMemorySessionStore(SessionStoreContract):
    @pytest.fixture
    def users(self) -> UserStore:
        return MemoryUserStore()

    @pytest.fixture
    def store(self) -> SessionStore:
        return MemorySessionStore()

    @pytest.fixture
    def refresh_rows(self, store: SessionStore) -> RefreshRows:
        memory = cast(MemorySessionStore, store)

        async def rows() -> list[tuple[RefreshRecord, bool]]:
            return [
                (record, record.family_id in memory._families)
                for record in memory._refresh.values()
            ]

        return rows


class SqlSessionStoreContract(SessionStoreContract):
    @pytest.fixture
    def engine(self) -> AsyncEngine:
        raise NotImplementedError

    @pytest.fixture
    def users(self, engine: AsyncEngine) -> UserStore:
        return SqlUserStore(engine)

    @pytest.fixture
    def store(self, engine: AsyncEngine) -> SessionStore:
        return SqlSessionStore(engine)

    @pytest.fixture
    def refresh_rows(self, engine: AsyncEngine) -> RefreshRows:
        query = select(refresh_tokens, families.c.id.is_not(None).label("has_family")).join(
            families, refresh_tokens.c.family_id == families.c.id, isouter=True
        )

        async def rows() -> list[tuple[RefreshRecord, bool]]:
            async with engine.connect() as conn:
                found = (await conn.execute(query)).all()
            return [
                (
                    RefreshRecord(
                        token_hash=bytes(r.token_hash),
                        family_id=r.family_id,
                        issued_at=r.issued_at,
                        expires_at=r.expires_at,
                        spent_at=r.spent_at,
                        successor_box=None if r.successor_box is None else bytes(r.successor_box),
                    ),
                    bool(r.has_family),
                )
                for r in found
            ]

        return rows


class TestSqliteSessionStore(SqlSessionStoreContract):
    @pytest.fixture
    def engine(self, sqlite_engine: AsyncEngine) -> AsyncEngine:
        return sqlite_engine


class TestPostgresSessionStore(SqlSessionStoreContract):
    @pytest.fixture
    def engine(self, postgres_engine: AsyncEngine) -> AsyncEngine:
        return postgres_engine
