"""The concurrent half of the SessionStore contract.

50 ``rotate`` calls run at once through one store — for SQL through one
engine's connection pool: truly concurrent transactions on PostgreSQL,
writers queued by ``BEGIN IMMEDIATE`` on SQLite.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from authgate.stores.protocols import SessionStore, UserStore
from authgate.stores.records import RotationOutcome, RotationResult

from .sessions_base import GRACE, T0, N, RefreshRows, SessionStoreBase, box, successor

__all__ = ["SessionRaceTests"]


class SessionRaceTests(SessionStoreBase):
    """Concurrency tests; collected through ``SessionStoreContract``."""

    async def test_concurrent_rotation_has_one_winner(
        self, store: SessionStore, users: UserStore, refresh_rows: RefreshRows
    ) -> None:
        """50 simultaneous presentations of one token: exactly one ROTATED, all
        others GRACE with the winner's box; exactly one successor is stored."""
        await self.start(store, users)
        now = T0 + 30
        results = await asyncio.gather(*(self.rotate(store, b"t0", n, now=now) for n in range(N)))
        winners = [n for n, r in enumerate(results) if r.outcome is RotationOutcome.ROTATED]
        assert len(winners) == 1
        (winner,) = winners
        losers = [r for n, r in enumerate(results) if n != winner]
        assert {r.outcome for r in losers} == {RotationOutcome.GRACE}
        assert {r.successor_box for r in losers} == {box(winner)}
        await self.assert_one_successor(store, refresh_rows, winner)

    async def test_concurrent_losers_without_grace_are_reuse(
        self, store: SessionStore, users: UserStore, refresh_rows: RefreshRows
    ) -> None:
        """With no grace window, 50 simultaneous presentations (each a little
        later than the previous): one ROTATED, every loser REUSED (or REVOKED
        once another loser revoked the family), the family revoked for
        refresh_reuse, and still exactly one successor stored."""
        await self.start(store, users)
        results = await asyncio.gather(
            *(self.rotate(store, b"t0", n, now=T0 + 1 + n / 1000, grace=0.0) for n in range(N))
        )
        outcomes = [r.outcome for r in results]
        assert outcomes.count(RotationOutcome.ROTATED) == 1
        assert RotationOutcome.REUSED in outcomes
        assert set(outcomes) <= {
            RotationOutcome.ROTATED,
            RotationOutcome.REUSED,
            RotationOutcome.REVOKED,
        }
        winner = outcomes.index(RotationOutcome.ROTATED)
        await self.assert_one_successor(store, refresh_rows, winner)
        family = await store.get_family("f1")
        assert family is not None
        assert family.revoked_reason == "refresh_reuse"

    async def test_concurrent_replay_after_spend_is_reuse(
        self, store: SessionStore, users: UserStore, refresh_rows: RefreshRows
    ) -> None:
        """50 simultaneous replays of a token spent earlier (no grace): none
        rotates, the family is revoked once, and every live access token is
        reported by some REUSED answer."""
        await self.start(store, users)
        await store.record_access_token("f1", "jti-live", T0 + 600)
        await self.rotate(store, b"t0", 0, now=T0 + 1)
        now = T0 + 2
        results = await asyncio.gather(
            *(self.rotate(store, b"t0", n, now=now, grace=0.0) for n in range(1, N + 1))
        )
        outcomes = [r.outcome for r in results]
        assert RotationOutcome.REUSED in outcomes
        assert set(outcomes) <= {RotationOutcome.REUSED, RotationOutcome.REVOKED}
        reported = {a for r in results for a in r.live_access}
        assert reported == {("jti-live", T0 + 600)}
        family = await store.get_family("f1")
        assert family is not None
        assert (family.revoked_at, family.revoked_reason) == (now, "refresh_reuse")
        await self.assert_one_successor(store, refresh_rows, 0)

    async def test_rotation_racing_logout_stays_consistent(
        self, store: SessionStore, users: UserStore, refresh_rows: RefreshRows
    ) -> None:
        """A rotation racing a revocation either happened before it (ROTATED,
        successor stored) or not at all (REVOKED, token unspent, no successor):
        never ROTATED into a revoked family, never half done."""
        families = [f"f{n}" for n in range(20)]
        for n, family_id in enumerate(families):
            await self.start(store, users, family_id, token=f"t{n}".encode())
        now = T0 + 5

        async def rotate(n: int) -> RotationResult:
            record = successor(n, families[n], at=now)
            return await store.rotate(
                f"t{n}".encode(),
                record,
                box(n),
                now=now,
                grace_seconds=GRACE,
                ip=None,
                user_agent=None,
            )

        async def logout(family_id: str) -> None:
            await store.revoke_families("u1", now=now, reason="logout", family_id=family_id)

        calls: list[Awaitable[object]] = []
        for n, family_id in enumerate(families):  # interleaved, half of them revoke first
            pair = [rotate(n), logout(family_id)]
            calls.extend(pair if n % 2 else reversed(pair))
        outcomes = await asyncio.gather(*calls)
        results = [r for r in outcomes if isinstance(r, RotationResult)]
        by_hash = {record.token_hash: record for record, _ in await refresh_rows()}
        for n, family_id in enumerate(families):
            result = results[n]
            assert isinstance(result, RotationResult)
            spent = by_hash[f"t{n}".encode()].spent_at is not None
            stored = successor(n, family_id).token_hash in by_hash
            if result.outcome is RotationOutcome.ROTATED:
                assert result.family is not None
                assert result.family.revoked_at is None
                assert (spent, stored) == (True, True)
            else:
                assert result.outcome is RotationOutcome.REVOKED
                assert (spent, stored) == (False, False)
            family = await store.get_family(family_id)
            assert family is not None
            assert family.revoked_reason == "logout"
