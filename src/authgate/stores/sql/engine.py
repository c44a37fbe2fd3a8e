"""Database URLs and engines: SQLite through aiosqlite, PostgreSQL through asyncpg.

Users paste URLs from hosting providers (``postgres://…?sslmode=require``)
and from SQLAlchemy docs (``sqlite:///authgate.db``);
:func:`normalize_database_url` turns each into the one async driver URL
authgate runs on and refuses anything else before a connection is tried.

SQLite connections get ``journal_mode=WAL`` (readers never block the
writer), ``foreign_keys=ON`` (SQLite ignores ``ON DELETE CASCADE``
otherwise) and a ``busy_timeout`` so that a writer waits for the lock
instead of failing with "database is locked".  The driver's own implicit
``BEGIN`` is switched off and SQLAlchemy's ``begin`` event emits ours, so a
write transaction can ask for ``BEGIN IMMEDIATE`` (see
:mod:`authgate.stores.sql.transactions`).
"""

from __future__ import annotations

import shlex
import time
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from authgate.core.errors import ConfigurationError

__all__ = ["BEGIN_MODE_OPTION", "create_engine", "is_sqlite", "normalize_database_url"]

#: Execution option naming the SQLite ``BEGIN`` mode of a transaction.
BEGIN_MODE_OPTION: Final = "authgate_sqlite_begin"
_BEGIN_MODES: Final = frozenset({"DEFERRED", "IMMEDIATE"})

SQLITE_BUSY_TIMEOUT_MS: Final = 5000
_WAL_ATTEMPTS: Final = 20  # ~0.4 s of sleeps in all

_SQLITE_DRIVERS: Final = frozenset({"sqlite", "sqlite+aiosqlite", "sqlite+pysqlite"})
_PG_DRIVERS: Final = frozenset({"postgres", "postgresql", "postgresql+asyncpg"})
# Query parameters of a PostgreSQL URL that authgate knows how to hand to asyncpg.
_PG_QUERY: Final = frozenset(
    {
        "ssl",
        "sslmode",
        "options",
        "application_name",
        "connect_timeout",
        "target_session_attrs",
        "prepared_statement_cache_size",
    }
)
_EXAMPLES: Final = "expected sqlite:///path/to/authgate.db or postgresql://user@host:5432/dbname"


def normalize_database_url(url: str) -> str:
    """Return ``url`` rewritten for authgate's async drivers.

    ``sqlite:///path`` becomes ``sqlite+aiosqlite:///path``; ``postgres://``
    and ``postgresql://`` become ``postgresql+asyncpg://`` and libpq's
    ``sslmode`` becomes asyncpg's ``ssl``.  libpq's ``options``
    (``-c search_path=authgate``), ``application_name`` and
    ``connect_timeout`` are kept for :func:`create_engine`, which turns them
    into asyncpg connect arguments.  The result contains the password, so
    treat it like the input; error messages never contain the URL.

    Raises:
        ConfigurationError: (a ``ValueError``) not a URL, another database
            or driver (``mysql://``, ``postgresql+psycopg2://``), an
            in-memory SQLite database (concurrent requests would share one
            connection and its transaction; use the memory stores) or a
            query parameter asyncpg cannot take.
    """
    return _parse(url).render_as_string(hide_password=False)


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Create the async engine authgate's SQL stores run on.

    PostgreSQL gets a bounded pool (10 + 10 overflow, 10 s checkout
    timeout), pre-ping so connections dropped by a proxy or failover are
    replaced, recycling after 30 min, and a 5 s connect timeout.  SQLite
    gets the pragmas described in the module docstring.  Dispose the engine
    (``await engine.dispose()``) on shutdown.

    Raises:
        ConfigurationError: see :func:`normalize_database_url`.
    """
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(
            parsed,
            echo=echo,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        _install_sqlite_hooks(engine)
        return engine
    connect_args = _pg_connect_args(parsed)
    parsed = parsed.difference_update_query(["options", "application_name", "connect_timeout"])
    return create_async_engine(
        parsed,
        echo=echo,
        pool_size=10,
        max_overflow=10,
        pool_timeout=10.0,
        pool_recycle=1800,
        pool_pre_ping=True,
        connect_args=connect_args,
    )


def is_sqlite(engine: AsyncEngine) -> bool:
    """Whether ``engine`` talks to SQLite (the stores pick SQL dialects by it)."""
    return engine.dialect.name == "sqlite"


def _parse(raw: str) -> URL:
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError, TypeError):
        raise ConfigurationError(f"not a database URL; {_EXAMPLES}") from None
    driver = url.drivername.lower()
    if driver in _SQLITE_DRIVERS:
        database = url.database or ""
        if database in ("", ":memory:") or url.query.get("mode") == "memory":
            raise ConfigurationError(
                "in-memory SQLite is not supported (concurrent requests would share one "
                "connection and its transaction); use a file path, or the memory stores in tests"
            )
        return url.set(drivername="sqlite+aiosqlite")
    if driver in _PG_DRIVERS:
        unknown = sorted(set(url.query) - _PG_QUERY)
        if unknown:
            raise ConfigurationError(
                f"unsupported PostgreSQL URL parameter(s) {', '.join(unknown)}; "
                f"authgate's driver (asyncpg) takes {', '.join(sorted(_PG_QUERY))}"
            )
        if "sslmode" in url.query:
            if "ssl" in url.query:
                raise ConfigurationError("give either sslmode or ssl in the URL, not both")
            url = url.update_query_dict({"ssl": url.query["sslmode"]}).difference_update_query(
                ["sslmode"]
            )
        _pg_connect_args(url)  # validate now, not at the first connection
        return url.set(drivername="postgresql+asyncpg")
    scheme = driver if driver.isascii() and driver.replace("+", "").isalnum() else "?"
    raise ConfigurationError(
        f"unsupported database URL scheme {scheme!r}; authgate runs on SQLite "
        f"(aiosqlite) or PostgreSQL (asyncpg): {_EXAMPLES}"
    )


def _pg_connect_args(url: URL) -> dict[str, Any]:
    """asyncpg connect arguments for what libpq takes in the URL."""
    timeout = url.query.get("connect_timeout", "5")
    try:
        seconds = float(timeout)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0 < seconds <= 300:
        raise ConfigurationError("connect_timeout must be a number of seconds in (0, 300]")
    return {
        "timeout": seconds,
        "command_timeout": 30.0,
        "server_settings": {"application_name": "authgate", **_pg_server_settings(url)},
    }


def _pg_server_settings(url: URL) -> dict[str, str]:
    """Turn libpq's ``options=-c name=value …`` and ``application_name`` into
    asyncpg ``server_settings``."""
    settings: dict[str, str] = {}
    name = url.query.get("application_name")
    if isinstance(name, str):
        settings["application_name"] = name
    options = url.query.get("options")
    if options is None:
        return settings
    if not isinstance(options, str):
        raise ConfigurationError("give the PostgreSQL options parameter once")
    try:
        words = shlex.split(options)
    except ValueError:
        raise ConfigurationError("cannot parse the PostgreSQL options parameter") from None
    pending_c = False
    for word in words:
        if pending_c:
            pair, pending_c = word, False
        elif word == "-c":
            pending_c = True
            continue
        elif word.startswith(("-c", "--")):
            pair = word[2:]
        else:
            pair = ""
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigurationError(
                "the PostgreSQL options parameter takes only '-c name=value' settings"
            )
        settings[key.replace("-", "_")] = value
    if pending_c:
        raise ConfigurationError("the PostgreSQL options parameter ends after '-c'")
    return settings


def _install_sqlite_hooks(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop the sqlite3 driver from emitting its own BEGIN (it skips SELECTs
        # and DDL); _on_begin emits ours.  Recipe from SQLAlchemy's SQLite docs,
        # "Serializable isolation / Savepoints / Transactional DDL".
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            _enable_wal(cursor)
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(BEGIN_MODE_OPTION, "DEFERRED")
        if mode not in _BEGIN_MODES:
            raise ValueError("unknown SQLite BEGIN mode")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _enable_wal(cursor: Any) -> None:
    """Switch the database file to WAL (a persistent setting) unless it is already.

    The switch needs an exclusive lock and SQLite does not wait on
    ``busy_timeout`` for it: when several connections open a fresh database
    at once, all but one get "database is locked".  Retry briefly; if the
    file still is not in WAL mode, go on without it — WAL only improves
    concurrency (readers stop blocking the writer), correctness rests on
    ``BEGIN IMMEDIATE`` and ``busy_timeout``, and the next new connection
    tries again.  The short blocking sleeps happen only in that start-up race.
    """
    for attempt in range(_WAL_ATTEMPTS):
        cursor.execute("PRAGMA journal_mode")
        if str(cursor.fetchone()[0]).lower() == "wal":
            return
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
        except Exception as err:  # the driver's OperationalError class varies by adapter
            if "locked" not in str(err) and "busy" not in str(err):
                raise
            time.sleep(0.002 * (attempt + 1))
        else:
            return
