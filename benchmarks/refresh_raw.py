"""The ``refresh`` suite's floor: authgate's rotation transaction, hand-written per driver.

The statements and checks are those of
:meth:`authgate.stores.sql.sessions.SqlSessionStore.rotate` on its success
path (the path every timed rotation takes): read the presented token with
its family, refuse a revoked/expired family or token or a spent token, spend
it with a conditional UPDATE and check the row count, touch the family with a
conditional UPDATE ... RETURNING, insert the successor, commit.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from typing import Any, Final

import aiosqlite
import asyncpg  # type: ignore[import-untyped, unused-ignore]

__all__ = ["PG_DATABASE", "PgError", "RawRotator", "create_pg_database", "drop_pg_database"]

PG_ADMIN_DSN: Final = os.environ.get(
    "AUTHGATE_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PG_DATABASE: Final = "authgate_bench"
PgError = asyncpg.PostgresError

_FAMILY_COLUMNS: Final = (
    "families.id, families.user_id, families.created_at, families.last_used_at, "
    "families.expires_at, families.ip, families.user_agent, families.revoked_at, "
    "families.revoked_reason"
)
# Constant SQL text; every value is a bound parameter.
_SELECT: Final = (
    f"SELECT {_FAMILY_COLUMNS}, refresh_tokens.expires_at AS token_expires_at, "  # noqa: S608
    "refresh_tokens.spent_at, refresh_tokens.successor_box FROM refresh_tokens "
    "JOIN families ON refresh_tokens.family_id = families.id "
    "WHERE refresh_tokens.token_hash = {0}"
)
_SPEND: Final = (
    "UPDATE refresh_tokens SET spent_at = {0}, successor_box = {1} "
    "WHERE refresh_tokens.token_hash = {2} AND refresh_tokens.spent_at IS NULL"
)
_TOUCH: Final = (
    "UPDATE families SET last_used_at = {0}, expires_at = {1}, ip = {2}, user_agent = {3} "
    "WHERE families.id = {4} AND families.revoked_at IS NULL "
    "RETURNING id, user_id, created_at, last_used_at, expires_at, ip, user_agent, "
    "revoked_at, revoked_reason"
)
_INSERT: Final = (
    "INSERT INTO refresh_tokens (token_hash, family_id, issued_at, expires_at, spent_at, "
    "successor_box) VALUES ({0}, {1}, {2}, {3}, NULL, NULL)"
)
_QMARK: Final = ("?",) * 5
_DOLLAR: Final = tuple(f"${n}" for n in range(1, 6))


def _require(condition: bool, problem: str) -> None:
    if not condition:
        raise RuntimeError(f"raw rotation: {problem}")


def _check(row: Any, now: float) -> str:
    """The family id of a live, unspent token, as the store decides it."""
    if row is None:
        raise RuntimeError("raw rotation: unknown token")
    if row[7] is not None or row[4] <= now or row[9] <= now or row[10] is not None:
        raise RuntimeError("raw rotation: revoked, expired or spent")
    family_id: str = row[0]
    return family_id


class RawRotator:
    """One driver connection (SQLite) or pool (PostgreSQL) doing the rotation by hand."""

    def __init__(
        self, sqlite: aiosqlite.Connection | None, pool: Any, box_size: int, refresh_ttl: int
    ) -> None:
        self._sqlite, self._pool = sqlite, pool
        self.box_size, self._ttl = box_size, refresh_ttl

    @classmethod
    async def open(cls, url: str, *, box_size: int, refresh_ttl: int) -> RawRotator:
        if url.startswith("sqlite:///"):
            conn = await aiosqlite.connect(url.removeprefix("sqlite:///"), isolation_level=None)
            for pragma in ("busy_timeout = 5000", "foreign_keys = ON", "journal_mode = WAL"):
                await conn.execute(f"PRAGMA {pragma}")
            return cls(conn, None, box_size, refresh_ttl)
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=10)
        return cls(None, pool, box_size, refresh_ttl)

    async def close(self) -> None:
        if self._sqlite is not None:
            await self._sqlite.close()
        if self._pool is not None:
            await self._pool.close()

    async def rotate(self, presented: bytes, ip: str | None, user_agent: str | None) -> bytes:
        """Spend ``presented``; return the successor's hash."""
        now = time.time()
        successor, box = secrets.token_bytes(32), secrets.token_bytes(self.box_size)
        if self._sqlite is not None:
            await self._rotate_sqlite(self._sqlite, presented, successor, box, now, ip, user_agent)
        else:
            await self._rotate_pg(presented, successor, box, now, ip, user_agent)
        return successor

    async def _rotate_sqlite(
        self,
        conn: aiosqlite.Connection,
        presented: bytes,
        successor: bytes,
        box: bytes,
        now: float,
        ip: str | None,
        user_agent: str | None,
    ) -> None:
        await conn.execute("BEGIN IMMEDIATE")
        try:
            async with conn.execute(_SELECT.format(*_QMARK), (presented,)) as cursor:
                family_id = _check(await cursor.fetchone(), now)
            spent = await conn.execute(_SPEND.format(*_QMARK), (now, box, presented))
            _require(spent.rowcount == 1, "lost the spend")
            touch = _TOUCH.format(*_QMARK)
            args = (now, now + self._ttl, ip, user_agent, family_id)
            async with conn.execute(touch, args) as cursor:
                _require(await cursor.fetchone() is not None, "family revoked")
            insert = _INSERT.format(*_QMARK)
            await conn.execute(insert, (successor, family_id, now, now + self._ttl))
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")

    async def _rotate_pg(
        self,
        presented: bytes,
        successor: bytes,
        box: bytes,
        now: float,
        ip: str | None,
        user_agent: str | None,
    ) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            family_id = _check(await conn.fetchrow(_SELECT.format(*_DOLLAR), presented), now)
            status = await conn.execute(_SPEND.format(*_DOLLAR), now, box, presented)
            _require(status == "UPDATE 1", "lost the spend")
            touch = _TOUCH.format(*_DOLLAR)
            row = await conn.fetchrow(touch, now, now + self._ttl, ip, user_agent, family_id)
            _require(row is not None, "family revoked")
            insert = _INSERT.format(*_DOLLAR)
            await conn.execute(insert, successor, family_id, now, now + self._ttl)


async def create_pg_database() -> str:
    """(Re)create ``authgate_bench``; its authgate URL.

    Raises:
        OSError: PostgreSQL is not reachable.
        PgError: it refused.
    """
    await drop_pg_database()
    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(f"CREATE DATABASE {PG_DATABASE}")
    finally:
        await conn.close()
    return PG_ADMIN_DSN.rpartition("/")[0] + "/" + PG_DATABASE


async def drop_pg_database() -> None:
    with contextlib.suppress(OSError):
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        finally:
            await conn.close()
