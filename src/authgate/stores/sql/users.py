"""Accounts in the ``users`` table.

Email uniqueness is the database's job: ``email_key`` holds
``email.casefold()`` under a UNIQUE constraint, so two concurrent
registrations of ``Ann@x`` and ``ann@X`` cannot both succeed, whatever
instance they reach.
"""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from authgate.core.errors import EmailTakenError, NotFoundError
from authgate.stores.records import User
from authgate.stores.sql.rows import user_from_row, user_values
from authgate.stores.sql.tables import users
from authgate.stores.sql.transactions import reading, violates, writing

__all__ = ["SqlUserStore"]


class SqlUserStore:
    """:class:`~authgate.stores.protocols.UserStore` on SQLite or PostgreSQL.

    Raises:
        EmailTakenError: ``add``/``update`` to an email (case-insensitively)
            another user has.
        NotFoundError: ``update`` of an id that is not stored.
        ValueError: ``add`` of an id that is already stored (a caller bug:
            ids are random).
        StoreError: the database did not answer.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, user: User) -> None:
        try:
            async with writing(self._engine) as conn:
                await conn.execute(insert(users).values(**user_values(user)))
        except IntegrityError as err:
            raise _conflict(err) from None

    async def get(self, user_id: str) -> User | None:
        async with reading(self._engine) as conn:
            row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
        return None if row is None else user_from_row(row)

    async def get_by_email(self, email: str) -> User | None:
        query = select(users).where(users.c.email_key == email.casefold())
        async with reading(self._engine) as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else user_from_row(row)

    async def update(self, user: User) -> None:
        values = user_values(user)
        del values["id"]
        try:
            async with writing(self._engine) as conn:
                result = await conn.execute(
                    update(users).where(users.c.id == user.id).values(**values)
                )
                if result.rowcount == 0:
                    raise NotFoundError("no such user")
        except IntegrityError as err:
            raise _conflict(err) from None

    async def list_users(self, *, limit: int = 100, offset: int = 0) -> list[User]:
        query = (
            select(users)
            .order_by(users.c.created_at, users.c.id)
            .limit(max(limit, 0))
            .offset(max(offset, 0))
        )
        async with reading(self._engine) as conn:
            rows = (await conn.execute(query)).all()
        return [user_from_row(row) for row in rows]


def _conflict(err: IntegrityError) -> Exception:
    if violates(err, "email_key"):
        return EmailTakenError("this email is already registered")
    return ValueError("a user with this id already exists")
