"""SQL stores: SQLite (default, via aiosqlite) and PostgreSQL (via asyncpg).

Wiring::

    engine = create_engine(settings.database_url)   # normalizes the URL
    await upgrade(settings.database_url)            # or `authgate db upgrade`
    users = SqlUserStore(engine)
    sessions = SqlSessionStore(engine)
    revoked = SqlRevokedTokenStore(engine)
    ...
    await engine.dispose()
"""

from __future__ import annotations

from authgate.stores.sql.engine import create_engine, normalize_database_url
from authgate.stores.sql.migrate import current_revision, downgrade, head_revision, upgrade
from authgate.stores.sql.revocations import SqlRevokedTokenStore
from authgate.stores.sql.sessions import SqlSessionStore
from authgate.stores.sql.transactions import ping
from authgate.stores.sql.users import SqlUserStore

__all__ = [
    "SqlRevokedTokenStore",
    "SqlSessionStore",
    "SqlUserStore",
    "create_engine",
    "current_revision",
    "downgrade",
    "head_revision",
    "normalize_database_url",
    "ping",
    "upgrade",
]
