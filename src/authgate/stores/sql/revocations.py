"""Revoked access-token ``jti``\\ s in ``revoked_tokens``, so that a restart or
a second instance still refuses them until they expire.

The verifier never reads this table on the request path: it loads
:meth:`SqlRevokedTokenStore.live` into its in-memory revocation list at
start-up and on invalidation (DESIGN.md, "verify").
"""

from __future__ import annotations

from sqlalchemy import Executable, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from authgate.stores.sql.engine import is_sqlite
from authgate.stores.sql.tables import revoked_tokens
from authgate.stores.sql.transactions import reading, writing

__all__ = ["SqlRevokedTokenStore"]


class SqlRevokedTokenStore:
    """:class:`~authgate.stores.protocols.RevokedTokenStore` on SQLite or PostgreSQL.

    An entry is live while ``expires_at > now``.  Adding a ``jti`` again
    keeps the later expiry, so retried or duplicated revocations are safe.

    Raises:
        StoreError: the database did not answer.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, jti: str, expires_at: float) -> None:
        query: Executable
        if is_sqlite(self._engine):
            lite = sqlite.insert(revoked_tokens).values(jti=jti, expires_at=expires_at)
            query = lite.on_conflict_do_update(
                index_elements=[revoked_tokens.c.jti],
                set_={
                    "expires_at": func.max(revoked_tokens.c.expires_at, lite.excluded.expires_at)
                },
            )
        else:
            pg = postgresql.insert(revoked_tokens).values(jti=jti, expires_at=expires_at)
            query = pg.on_conflict_do_update(
                index_elements=[revoked_tokens.c.jti],
                set_={
                    "expires_at": func.greatest(revoked_tokens.c.expires_at, pg.excluded.expires_at)
                },
            )
        async with writing(self._engine) as conn:
            await conn.execute(query)

    async def live(self, *, now: float) -> list[tuple[str, float]]:
        query = (
            select(revoked_tokens.c.jti, revoked_tokens.c.expires_at)
            .where(revoked_tokens.c.expires_at > now)
            .order_by(revoked_tokens.c.jti)
        )
        async with reading(self._engine) as conn:
            rows = await conn.execute(query)
            return [(jti, exp) for jti, exp in rows]

    async def prune(self, *, now: float) -> int:
        async with writing(self._engine) as conn:
            result = await conn.execute(
                delete(revoked_tokens).where(revoked_tokens.c.expires_at <= now)
            )
            return int(result.rowcount)
