"""Refresh-token families in ``families``, ``refresh_tokens`` and ``access_tokens``.

Rotation is the one operation here that must be race-free: two browser tabs
(or two instances behind a load balancer) may present the same refresh
token at once, and exactly one of them may spend it.  :meth:`rotate` runs in
one transaction and decides with a *conditional update*::

    UPDATE refresh_tokens SET spent_at = :now, successor_box = :box
     WHERE token_hash = :h AND spent_at IS NULL

The database applies that compare-and-set atomically, so its row count says
who won: 1 → this caller spent the token and goes on to store the successor
and touch the family; 0 → another caller spent it first, and this one
re-reads the row and answers as for a spent token (GRACE with the winner's
box, or REUSED).  No ``SELECT … FOR UPDATE`` is needed: it would add a
round trip, make GRACE answers queue behind the spender's lock, and SQLite
has none.

* PostgreSQL (``READ COMMITTED``): the UPDATE waits for the row lock of a
  concurrent spender and then re-evaluates ``spent_at IS NULL`` on the
  committed row, so the loser sees 0 rows; its re-read is a new statement
  and sees the winner's ``spent_at`` and box.  A rotation locks the token
  row, then its family row; revocations lock only family rows, so rotations
  cannot deadlock with each other or with revocations.  The family update
  is itself conditional (``revoked_at IS NULL``), so a rotation racing a
  logout or a reuse revocation either commits before it or rolls back and
  answers REVOKED: it never returns ROTATED for a revoked family.
* SQLite has no row locks and no ``FOR UPDATE``; write transactions start
  with ``BEGIN IMMEDIATE`` (:func:`~authgate.stores.sql.transactions.writing`),
  which serializes writers on the database lock, queued by ``busy_timeout``
  rather than failing with "database is locked".  The conditional update
  then always sees the previous writer's commit.

A spent token answers GRACE while ``now - spent_at <= grace_seconds`` and
a successor box exists; ``grace_seconds <= 0`` disables the window
altogether (a second presentation in the same instant is REUSED).

Beyond the Protocol: an expired family or an expired presented token
answers REVOKED without writing (the session is over either way), and the
successor always joins the presented token's family (``successor.family_id``
is not consulted).  ``ip`` and ``user_agent`` of ``None`` keep the family's
previous values.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authgate.core.errors import NotFoundError, StoreError
from authgate.stores.records import Family, RefreshRecord, RotationOutcome, RotationResult
from authgate.stores.sql.rows import family_from_row, family_values
from authgate.stores.sql.tables import access_tokens, families, refresh_tokens
from authgate.stores.sql.transactions import is_foreign_key_violation, reading, writing

__all__ = ["REUSE_REASON", "SqlSessionStore"]

#: ``revoked_reason`` of a family revoked because a spent refresh token came back.
REUSE_REASON: Final = "refresh_reuse"

_MAX_ATTEMPTS: Final = 5  # a lost spend is retried only when the winner rolled back

_PRESENTED: Final = select(
    *families.c,
    refresh_tokens.c.expires_at.label("token_expires_at"),
    refresh_tokens.c.spent_at,
    refresh_tokens.c.successor_box,
).join_from(refresh_tokens, families, refresh_tokens.c.family_id == families.c.id)


class _Rollback(Exception):  # noqa: N818 -- control flow, never escapes this module
    """Leave the rotation transaction without committing, answering ``result``."""

    def __init__(self, result: RotationResult) -> None:
        super().__init__()
        self.result = result


class SqlSessionStore:
    """:class:`~authgate.stores.protocols.SessionStore` on SQLite or PostgreSQL.

    Raises:
        NotFoundError: ``create_family`` for a user id that is not stored,
            ``record_access_token`` for an unknown family.
        ValueError: ``create_family`` or ``rotate`` with a family id or
            token hash that is already stored (a caller bug: both are random).
        StoreError: the database did not answer.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create_family(self, family: Family, first: RefreshRecord) -> None:
        try:
            async with writing(self._engine) as conn:
                await conn.execute(insert(families).values(**family_values(family)))
                await conn.execute(
                    insert(refresh_tokens).values(
                        token_hash=first.token_hash,
                        family_id=family.id,
                        issued_at=first.issued_at,
                        expires_at=first.expires_at,
                        spent_at=first.spent_at,
                        successor_box=first.successor_box,
                    )
                )
        except IntegrityError as err:
            if is_foreign_key_violation(err):
                raise NotFoundError("no such user") from None
            raise ValueError("family or refresh token already exists") from None

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
        try:
            async with writing(self._engine) as conn:
                for _ in range(_MAX_ATTEMPTS):
                    row = (
                        await conn.execute(
                            _PRESENTED.where(refresh_tokens.c.token_hash == presented_hash)
                        )
                    ).first()
                    if row is None:
                        return RotationResult(RotationOutcome.UNKNOWN)
                    family = family_from_row(row)
                    if (
                        family.revoked_at is not None
                        or family.expires_at <= now
                        or row.token_expires_at <= now
                    ):
                        return RotationResult(RotationOutcome.REVOKED, family=family)
                    if row.spent_at is None:
                        spent = await conn.execute(
                            update(refresh_tokens)
                            .where(
                                refresh_tokens.c.token_hash == presented_hash,
                                refresh_tokens.c.spent_at.is_(None),
                            )
                            .values(spent_at=now, successor_box=successor_box)
                        )
                        if spent.rowcount == 1:
                            return await _advance(conn, family, successor, now, ip, user_agent)
                        continue  # another caller spent it first: read its outcome
                    if _in_grace(row.spent_at, row.successor_box, now, grace_seconds):
                        return RotationResult(
                            RotationOutcome.GRACE, family=family, successor_box=row.successor_box
                        )
                    return await _revoke_for_reuse(conn, family, now)
                raise StoreError("refresh token rotation kept conflicting; try again")
        except _Rollback as rollback:
            return rollback.result
        except IntegrityError:
            raise ValueError("the successor refresh token already exists") from None

    async def record_access_token(self, family_id: str, jti: str, expires_at: float) -> None:
        try:
            async with writing(self._engine) as conn:
                await conn.execute(
                    insert(access_tokens).values(
                        jti=jti, family_id=family_id, expires_at=expires_at
                    )
                )
        except IntegrityError as err:
            if is_foreign_key_violation(err):
                raise NotFoundError("no such session") from None
            # The jti is already recorded (a retried call): nothing to do.

    async def revoke_families(
        self,
        user_id: str,
        *,
        now: float,
        reason: str,
        family_id: str | None = None,
        keep_family_id: str | None = None,
    ) -> list[tuple[str, float]]:
        query = update(families).where(
            families.c.user_id == user_id, families.c.revoked_at.is_(None)
        )
        if family_id is not None:
            query = query.where(families.c.id == family_id)
        if keep_family_id is not None:
            query = query.where(families.c.id != keep_family_id)
        query = query.values(revoked_at=now, revoked_reason=reason)
        async with writing(self._engine) as conn:
            ids = list((await conn.execute(query.returning(families.c.id))).scalars())
            return list(await _live_access(conn, ids, now))

    async def list_families(self, user_id: str, *, now: float) -> list[Family]:
        query = (
            select(families)
            .where(
                families.c.user_id == user_id,
                families.c.revoked_at.is_(None),
                families.c.expires_at > now,
            )
            .order_by(families.c.last_used_at.desc(), families.c.id.desc())
        )
        async with reading(self._engine) as conn:
            rows = (await conn.execute(query)).all()
        return [family_from_row(row) for row in rows]

    async def get_family(self, family_id: str) -> Family | None:
        async with reading(self._engine) as conn:
            return await _get_family(conn, family_id)


def _in_grace(spent_at: float, box: bytes | None, now: float, grace_seconds: float) -> bool:
    """Whether a spent token may still fetch its successor: a box exists and
    ``now - spent_at <= grace_seconds``; a grace of 0 (or less) disables the
    window, so even a presentation in the same instant is reuse."""
    return grace_seconds > 0 and box is not None and now - spent_at <= grace_seconds


async def _advance(
    conn: AsyncConnection,
    family: Family,
    successor: RefreshRecord,
    now: float,
    ip: str | None,
    user_agent: str | None,
) -> RotationResult:
    """Having spent the presented token: touch the family, store the successor."""
    touched: dict[str, Any] = {"last_used_at": now, "expires_at": successor.expires_at}
    if ip is not None:
        touched["ip"] = ip
    if user_agent is not None:
        touched["user_agent"] = user_agent
    row = (
        await conn.execute(
            update(families)
            .where(families.c.id == family.id, families.c.revoked_at.is_(None))
            .values(**touched)
            .returning(*families.c)
        )
    ).first()
    if row is None:  # revoked since we read it (PostgreSQL only): undo the spend
        current = await _get_family(conn, family.id)
        raise _Rollback(RotationResult(RotationOutcome.REVOKED, family=current or family))
    await conn.execute(
        insert(refresh_tokens).values(
            token_hash=successor.token_hash,
            family_id=family.id,
            issued_at=successor.issued_at,
            expires_at=successor.expires_at,
            spent_at=None,
            successor_box=None,
        )
    )
    return RotationResult(RotationOutcome.ROTATED, family=family_from_row(row))


async def _revoke_for_reuse(conn: AsyncConnection, family: Family, now: float) -> RotationResult:
    """A spent token came back outside the grace window: revoke its family."""
    row = (
        await conn.execute(
            update(families)
            .where(families.c.id == family.id, families.c.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=REUSE_REASON)
            .returning(*families.c)
        )
    ).first()
    revoked = (
        family_from_row(row) if row is not None else (await _get_family(conn, family.id) or family)
    )
    return RotationResult(
        RotationOutcome.REUSED,
        family=revoked,
        live_access=await _live_access(conn, [family.id], now),
    )


async def _live_access(
    conn: AsyncConnection, family_ids: list[str], now: float
) -> tuple[tuple[str, float], ...]:
    if not family_ids:
        return ()
    rows = await conn.execute(
        select(access_tokens.c.jti, access_tokens.c.expires_at)
        .where(access_tokens.c.family_id.in_(family_ids), access_tokens.c.expires_at > now)
        .order_by(access_tokens.c.jti)
    )
    return tuple((jti, exp) for jti, exp in rows)


async def _get_family(conn: AsyncConnection, family_id: str) -> Family | None:
    row = (await conn.execute(select(families).where(families.c.id == family_id))).first()
    return None if row is None else family_from_row(row)
