"""Driver failures surface as StoreError (fail closed), and no error carries data."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from authgate.core.errors import EmailTakenError, NotFoundError, StoreError
from authgate.stores.records import Family, RefreshRecord, User
from authgate.stores.sql import (
    SqlRevokedTokenStore,
    SqlSessionStore,
    SqlUserStore,
    create_engine,
    current_revision,
    ping,
    upgrade,
)
from contracts.backends import join_sqlite_workers, sqlite_url

T0 = 1_800_000_000.0
EMAIL = "private.person@example.com"
UNREACHABLE = "postgresql://authgate:s3cret-pw@127.0.0.1:1/x?connect_timeout=2"


def calls(engine: AsyncEngine) -> list[Callable[[], Awaitable[object]]]:
    users, sessions, revoked = (
        SqlUserStore(engine),
        SqlSessionStore(engine),
        SqlRevokedTokenStore(engine),
    )
    user = User("u1", EMAIL, "hash", "user", False, T0, T0)
    record = RefreshRecord(b"h" * 32, "f1", T0, T0 + 60)
    return [
        lambda: users.add(user),
        lambda: users.get("u1"),
        users.list_users,
        lambda: sessions.rotate(
            b"h" * 32, record, b"box", now=T0, grace_seconds=5, ip=None, user_agent=None
        ),
        lambda: sessions.revoke_families("u1", now=T0, reason="logout"),
        lambda: revoked.add("jti", T0),
        lambda: revoked.live(now=T0),
    ]


@pytest.fixture
async def unreachable() -> AsyncIterator[AsyncEngine]:
    engine = create_engine(UNREACHABLE)
    yield engine
    await engine.dispose()


@pytest.fixture
async def missing_directory(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(sqlite_url(tmp_path / "no" / "such" / "dir"))
    yield engine
    await engine.dispose()
    await join_sqlite_workers()


def assert_clean(err: StoreError) -> None:
    text = str(err) + repr(err)
    for secret in ("s3cret-pw", "127.0.0.1", EMAIL, "no/such"):
        assert secret not in text
    assert err.__cause__ is None
    assert err.__suppress_context__ is True


@pytest.mark.parametrize("index", range(7))
async def test_unreachable_postgres_is_store_error(unreachable: AsyncEngine, index: int) -> None:
    """Connection refused becomes StoreError naming only the error class."""
    with pytest.raises(StoreError, match="database unavailable") as caught:
        await calls(unreachable)[index]()
    assert_clean(caught.value)


@pytest.mark.parametrize("index", range(7))
async def test_missing_sqlite_directory_is_store_error(
    missing_directory: AsyncEngine, index: int
) -> None:
    """SQLite cannot open a file in a missing directory: StoreError, no path."""
    with pytest.raises(StoreError, match="unavailable") as caught:
        await calls(missing_directory)[index]()
    assert_clean(caught.value)


async def test_migrate_unreachable_is_store_error(tmp_path: Path) -> None:
    """Migration commands fail the same way, for both backends."""
    for url in (UNREACHABLE, sqlite_url(tmp_path / "missing")):
        with pytest.raises(StoreError) as caught:
            await upgrade(url)
        assert_clean(caught.value)
        with pytest.raises(StoreError):
            await current_revision(url)
    await join_sqlite_workers()


async def test_email_taken_does_not_leak_the_email(tmp_path: Path) -> None:
    """The driver's duplicate-key message (with the email) is not chained."""
    url = sqlite_url(tmp_path)
    await upgrade(url)
    engine = create_engine(url)
    try:
        users = SqlUserStore(engine)
        await users.add(User("u1", EMAIL, "hash", "user", False, T0, T0))
        with pytest.raises(EmailTakenError) as caught:
            await users.add(User("u2", EMAIL.upper(), "hash", "user", False, T0, T0))
    finally:
        await engine.dispose()
    assert EMAIL not in str(caught.value).lower()
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ is True


async def test_family_of_unknown_user_is_not_found(tmp_path: Path) -> None:
    """The SQL store enforces the user foreign key (SQLite: foreign_keys=ON)."""
    url = sqlite_url(tmp_path)
    await upgrade(url)
    engine = create_engine(url)
    try:
        family = Family("f1", "ghost", T0, T0, T0 + 60, None, None)
        with pytest.raises(NotFoundError):
            await SqlSessionStore(engine).create_family(
                family, RefreshRecord(b"h", "f1", T0, T0 + 60)
            )
    finally:
        await engine.dispose()


async def test_ping_reports_instead_of_raising(
    unreachable: AsyncEngine, missing_directory: AsyncEngine, tmp_path: Path
) -> None:
    """Readiness probes get a bool: True when the database answers, else False."""
    healthy = create_engine(sqlite_url(tmp_path))
    try:
        assert await ping(healthy) is True
    finally:
        await healthy.dispose()
    assert await ping(unreachable) is False
    assert await ping(missing_directory) is False
