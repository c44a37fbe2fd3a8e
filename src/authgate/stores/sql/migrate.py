"""Schema migrations, run programmatically: no ``alembic.ini`` at runtime.

The Alembic environment and the hand-written revisions ship inside the
package (``authgate/stores/sql/migrations``), so ``authgate db upgrade`` and
server start-up work from an installed wheel.  authgate keeps its revision
in its own version table, ``authgate_alembic_version``, so it can share a
database with an application that runs Alembic itself.

Each command runs in one transaction (SQLite and PostgreSQL both have
transactional DDL), under a lock — ``BEGIN IMMEDIATE`` on SQLite, a
transaction-scoped advisory lock on PostgreSQL — so instances that start
together migrate one after the other, and the later ones find nothing to do.

.. warning::
   New revisions that alter tables must use ``op.batch_alter_table`` for
   SQLite, which cannot ``ALTER`` most column properties in place.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from authgate.stores.sql.engine import create_engine, is_sqlite
from authgate.stores.sql.transactions import writing

__all__ = [
    "VERSION_TABLE",
    "current_revision",
    "downgrade",
    "head_revision",
    "upgrade",
]

VERSION_TABLE: Final = "authgate_alembic_version"
MIGRATIONS: Final = Path(__file__).parent / "migrations"
# pg_advisory_xact_lock key: the bytes b"authgate" read as a signed 64-bit integer.
_PG_LOCK_KEY: Final = int.from_bytes(b"authgate", "big", signed=True)

_T = TypeVar("_T")


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (default: the newest).

    Idempotent: upgrading a database that is already there does nothing.

    Raises:
        ConfigurationError: ``url`` is not a supported database URL.
        StoreError: the database did not answer.
        alembic.util.CommandError: ``revision`` names no revision.
    """
    await _run(url, lambda config: command.upgrade(config, revision))


async def downgrade(url: str, revision: str) -> None:
    """Take the database at ``url`` back to ``revision``.

    .. warning::
       ``"base"`` drops every authgate table with its data.

    Raises:
        ConfigurationError: ``url`` is not a supported database URL.
        StoreError: the database did not answer.
        alembic.util.CommandError: ``revision`` names no revision.
    """
    await _run(url, lambda config: command.downgrade(config, revision))


async def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at; ``None`` if never migrated.

    Compare with :func:`head_revision` to refuse to serve an outdated schema.

    Raises:
        ConfigurationError: ``url`` is not a supported database URL.
        StoreError: the database did not answer.
    """

    def read(config: Config) -> str | None:
        connection: Connection = config.attributes["connection"]
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()

    return await _run(url, read)


def head_revision() -> str:
    """The newest revision this version of authgate ships."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:  # pragma: no cover -- the package always ships 0001
        raise RuntimeError("authgate ships no migrations; the package is damaged")
    return head


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    return config


async def _run(url: str, action: Callable[[Config], _T]) -> _T:
    engine = create_engine(url)
    try:
        async with writing(engine) as conn:
            if not is_sqlite(engine):
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY}
                )

            def run(connection: Connection) -> _T:
                config = _config()
                config.attributes["connection"] = connection
                return action(config)

            return await conn.run_sync(run)
    finally:
        await engine.dispose()
