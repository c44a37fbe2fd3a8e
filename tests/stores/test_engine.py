"""Database URLs users paste, and the engine settings authgate relies on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text

from authgate.core.errors import ConfigurationError
from authgate.stores.sql import create_engine, normalize_database_url
from authgate.stores.sql.engine import SQLITE_BUSY_TIMEOUT_MS


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///authgate.db", "sqlite+aiosqlite:///authgate.db"),
        ("sqlite:////var/lib/authgate/a.db", "sqlite+aiosqlite:////var/lib/authgate/a.db"),
        ("sqlite+aiosqlite:///data/a.db", "sqlite+aiosqlite:///data/a.db"),
        (
            "postgresql://app@db.example.com:5432/auth",
            "postgresql+asyncpg://app@db.example.com:5432/auth",
        ),
        ("postgres://app:p%40ss@db/auth", "postgresql+asyncpg://app:p%40ss@db/auth"),
        ("postgresql+asyncpg://app@db/auth", "postgresql+asyncpg://app@db/auth"),
        ("postgres://app@db/auth?sslmode=require", "postgresql+asyncpg://app@db/auth?ssl=require"),
        (
            "postgresql://app@db/auth?options=-csearch_path%3Dauthgate",
            "postgresql+asyncpg://app@db/auth?options=-csearch_path%3Dauthgate",
        ),
    ],
)
def test_normalize_accepts_what_users_paste(given: str, expected: str) -> None:
    """Provider and SQLAlchemy-doc URLs map to authgate's async drivers, password kept."""
    assert normalize_database_url(given) == expected


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("mysql://app:secret@db/auth", "scheme 'mysql'"),
        ("mysql+pymysql://app:secret@db/auth", "scheme 'mysql+pymysql'"),
        ("postgresql+psycopg2://app:secret@db/auth", "scheme"),
        ("http://example.com/", "scheme 'http'"),
        ("not a url secret", "not a database URL"),
        ("", "not a database URL"),
        ("://secret", "not a database URL"),
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
        ("postgres://app:secret@db/auth?channel_binding=require", "channel_binding"),
        ("postgres://app:secret@db/auth?sslmode=require&ssl=true", "not both"),
        ("postgres://app:secret@db/auth?options=secret", "options"),
        ("postgres://app:secret@db/auth?options=-c", "options"),
        ("postgres://app:secret@db/auth?connect_timeout=soon", "connect_timeout"),
    ],
)
def test_normalize_refuses_clearly(given: str, reason: str) -> None:
    """Other databases, drivers and garbage are refused before connecting, with a
    message that says why and never repeats the URL (it may hold a password)."""
    with pytest.raises(ConfigurationError, match=re.escape(reason)) as caught:
        normalize_database_url(given)
    assert isinstance(caught.value, ValueError)
    assert "secret" not in str(caught.value)
    assert caught.value.__cause__ is None


def test_create_engine_refuses_like_normalize() -> None:
    """``create_engine`` validates the URL the same way."""
    with pytest.raises(ConfigurationError):
        create_engine("mysql://db/auth")


async def test_sqlite_connections_are_configured(tmp_path: Path) -> None:
    """Every SQLite connection runs WAL, enforces foreign keys and waits for locks."""
    engine = create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        async with engine.connect() as conn:
            pragmas = [
                (await conn.execute(text(f"PRAGMA {name}"))).scalar_one()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            ]
    finally:
        await engine.dispose()
    assert pragmas == ["wal", 1, SQLITE_BUSY_TIMEOUT_MS]


async def test_postgres_session_settings(postgres_url: str) -> None:
    """URL ``options`` reach the server; connections name themselves authgate."""
    engine = create_engine(postgres_url)
    try:
        async with engine.connect() as conn:
            name = (await conn.execute(text("SHOW application_name"))).scalar_one()
            schema = (await conn.execute(text("SELECT current_schema()"))).scalar_one()
    finally:
        await engine.dispose()
    assert name == "authgate"
    assert schema.startswith("authgate_test_")
