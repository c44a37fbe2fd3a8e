"""Transactions for the SQL stores, and the one place driver errors become
:class:`~authgate.core.errors.StoreError`.

:func:`reading` opens a plain transaction.  :func:`writing` opens one that
will write: on SQLite it starts with ``BEGIN IMMEDIATE``, which takes the
database's write lock up front, so concurrent writers queue on the
``busy_timeout`` instead of failing.  (A deferred transaction that first
reads and then writes cannot wait: in WAL mode its upgrade to a writer fails
at once with ``SQLITE_BUSY`` if another writer committed since its
snapshot.)  On PostgreSQL both are ordinary ``READ COMMITTED``
transactions.

Driver and connection failures (refused or dropped connections, timeouts,
missing schema, locks held past the timeout) are raised as ``StoreError``
naming only the error class and its code: driver messages and SQLAlchemy's
statement parameters can contain emails and token hashes, so the original
exception is not chained (``from None``).  ``IntegrityError`` passes
through unchanged for the store to map to a domain error; stores must catch
it, see :func:`violates`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authgate.core.errors import StoreError
from authgate.stores.sql.engine import BEGIN_MODE_OPTION, is_sqlite

__all__ = [
    "is_foreign_key_violation",
    "ping",
    "reading",
    "store_error",
    "violates",
    "writing",
]

_UNAVAILABLE = (DBAPIError, PoolTimeoutError, OSError)


@asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection in a read transaction, rolled back at the end.

    Raises:
        StoreError: the database did not answer or refused the statement.
    """
    try:
        async with engine.connect() as conn:
            yield conn
    except IntegrityError:
        raise
    except _UNAVAILABLE as err:
        raise store_error(err) from None


@asynccontextmanager
async def writing(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection in a write transaction, committed unless the body raises.

    Raises:
        StoreError: the database did not answer or refused the statement.
        IntegrityError: a constraint refused a write; the caller maps it.
    """
    try:
        async with engine.connect() as conn:
            if is_sqlite(engine):
                await conn.execution_options(**{BEGIN_MODE_OPTION: "IMMEDIATE"})
            async with conn.begin():
                yield conn
    except IntegrityError:
        raise
    except _UNAVAILABLE as err:
        raise store_error(err) from None


async def ping(engine: AsyncEngine, *, timeout: float = 2.0) -> bool:
    """Whether the database answers ``SELECT 1`` within ``timeout`` seconds.

    For readiness probes: never raises for an unavailable database, so a
    probe can report it instead of failing.
    """
    try:
        async with asyncio.timeout(timeout), reading(engine) as conn:
            await conn.execute(text("SELECT 1"))
    except (StoreError, TimeoutError):
        return False
    return True


def store_error(err: BaseException) -> StoreError:
    """A :class:`StoreError` describing ``err`` without any of its data."""
    orig = err.orig if isinstance(err, DBAPIError) else err
    code = getattr(orig, "sqlite_errorname", None) or getattr(orig, "sqlstate", None)
    kind = type(orig).__name__ + (f" {code}" if isinstance(code, str) else "")
    if _is_missing_table(orig):
        return StoreError(f"database schema is missing or outdated ({kind}); run the migrations")
    return StoreError(f"database unavailable ({kind})")


def violates(err: IntegrityError, column: str) -> bool:
    """Whether ``err`` is the unique constraint on ``column``.

    SQLite names the column ("UNIQUE constraint failed: users.email_key"),
    PostgreSQL the constraint ("uq_users_email_key", from
    :data:`~authgate.stores.sql.tables.NAMING_CONVENTION`); both contain
    the column name.  The message is only inspected, never passed on.
    """
    return column in str(err.orig) and not is_foreign_key_violation(err)


def is_foreign_key_violation(err: IntegrityError) -> bool:
    """Whether ``err`` is a foreign key refusing a reference to a missing row."""
    orig = err.orig
    if getattr(orig, "sqlstate", None) == "23503":  # PostgreSQL foreign_key_violation
        return True
    return "FOREIGN KEY constraint failed" in str(orig)


def _is_missing_table(orig: object) -> bool:
    if getattr(orig, "sqlstate", None) == "42P01":  # PostgreSQL undefined_table
        return True
    return "no such table" in str(orig)
