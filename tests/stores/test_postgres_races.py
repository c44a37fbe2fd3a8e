"""PostgreSQL rotation races, made deterministic with a held row lock.

The contract suite races 50 coroutines and checks the outcome; these tests
force the two interleavings the design in ``stores/sql/sessions.py`` argues
about, by holding the contested row lock in a second transaction until the
rotation is provably waiting on it (``pg_locks``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authgate.stores.records import Family, RefreshRecord, RotationOutcome, RotationResult, User
from authgate.stores.sql import SqlSessionStore, SqlUserStore, create_engine, upgrade

T0 = 1_800_000_000.0


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade(postgres_url)
    engine = create_engine(postgres_url)
    await SqlUserStore(engine).add(User("u1", "a@example.com", "h", "user", False, T0, T0))
    await SqlSessionStore(engine).create_family(
        Family("f1", "u1", T0, T0, T0 + 3600, None, None),
        RefreshRecord(b"t0", "f1", T0, T0 + 3600),
    )
    yield engine
    await engine.dispose()


async def wait_until_blocked(conn: AsyncConnection) -> None:
    """Return once some other backend waits for a lock."""
    for _ in range(500):
        waiting = (
            await conn.execute(
                text("SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()")
            )
        ).scalar_one()
        if waiting:
            return
        await asyncio.sleep(0.01)
    pytest.fail("the rotation never waited for the held lock")


def rotate(store: SqlSessionStore, n: int, now: float) -> asyncio.Task[RotationResult]:
    record = RefreshRecord(f"s{n}".encode(), "f1", now, now + 3600)
    return asyncio.ensure_future(
        store.rotate(
            b"t0", record, f"box{n}".encode(), now=now, grace_seconds=5, ip=None, user_agent=None
        )
    )


async def test_loser_of_the_spend_waits_then_gets_grace(engine: AsyncEngine) -> None:
    """A rotation whose conditional UPDATE waits on a concurrent spender sees
    0 rows once that spender commits, re-reads, and answers GRACE with the
    spender's box: the compare-and-set needs no SELECT … FOR UPDATE."""
    store = SqlSessionStore(engine)
    async with engine.connect() as other:
        await other.execute(
            text(
                "UPDATE refresh_tokens SET spent_at = :now, successor_box = 'winner'::bytea "
                "WHERE token_hash = 't0'::bytea AND spent_at IS NULL"
            ),
            {"now": T0 + 1},
        )
        task = rotate(store, 1, T0 + 2)
        await wait_until_blocked(other)
        await other.commit()
    result = await task
    assert result.outcome is RotationOutcome.GRACE
    assert result.successor_box == b"winner"


async def test_rotation_into_a_family_revoked_meanwhile_rolls_back(engine: AsyncEngine) -> None:
    """If the family is revoked after the rotation read it, the conditional
    family update finds 0 rows: the spend is rolled back and the answer is
    REVOKED, never ROTATED into a revoked session."""
    store = SqlSessionStore(engine)
    async with engine.connect() as other:
        await other.execute(
            text(
                "UPDATE families SET revoked_at = :now, revoked_reason = 'logout' WHERE id = 'f1'"
            ),
            {"now": T0 + 1},
        )
        task = rotate(store, 1, T0 + 2)
        await wait_until_blocked(other)
        await other.commit()
    result = await task
    assert result.outcome is RotationOutcome.REVOKED
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT token_hash, spent_at FROM refresh_tokens"))).all()
    assert [(bytes(h), spent) for h, spent in rows] == [(b"t0", None)]
