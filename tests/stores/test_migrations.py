"""Migrations: the packaged Alembic revisions create exactly ``tables.py``."""

from __future__ import annotations

import asyncio
from importlib.resources import files
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from authgate.core.errors import StoreError
from authgate.stores.records import User
from authgate.stores.sql import (
    SqlUserStore,
    create_engine,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from authgate.stores.sql.migrate import VERSION_TABLE
from authgate.stores.sql.tables import metadata

TABLES = {"users", "families", "refresh_tokens", "access_tokens", "revoked_tokens"}
USER = User("u1", "a@example.com", "hash", "user", False, 1.0, 1.0)


async def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def schema_diff(url: str) -> list[Any]:
    def diff(conn: Connection) -> list[Any]:
        opts = {"compare_type": True, "version_table": VERSION_TABLE}
        context = MigrationContext.configure(conn, opts=opts)
        return list(compare_metadata(context, metadata))

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(diff)
    finally:
        await engine.dispose()


async def test_head_is_the_initial_revision() -> None:
    """The package ships its revisions; the newest is 0001."""
    assert head_revision() == "0001"


def test_migrations_ship_inside_the_package() -> None:
    """env.py and the revisions live in the package, so a wheel can migrate."""
    migrations = files("authgate.stores.sql") / "migrations"
    assert (migrations / "env.py").is_file()
    assert (migrations / "versions" / "0001_initial.py").is_file()


async def test_fresh_database_has_no_revision(database_url: str) -> None:
    """A never-migrated database reports no revision (and gains no tables)."""
    assert await current_revision(database_url) is None
    assert await table_names(database_url) <= {VERSION_TABLE}


async def test_upgrade_creates_all_tables(database_url: str) -> None:
    """``upgrade`` creates every table and records the head revision."""
    await upgrade(database_url)
    assert await table_names(database_url) == TABLES | {VERSION_TABLE}
    assert await current_revision(database_url) == head_revision()


async def test_migration_matches_tables_module(database_url: str) -> None:
    """The hand-written migration and ``tables.py`` describe the same schema."""
    await upgrade(database_url)
    assert await schema_diff(database_url) == []


async def test_upgrade_twice_is_a_noop(database_url: str) -> None:
    """Upgrading a current database changes nothing and keeps the data."""
    await upgrade(database_url)
    engine = create_engine(database_url)
    try:
        await SqlUserStore(engine).add(USER)
        await upgrade(database_url)
        assert await SqlUserStore(engine).get("u1") == USER
    finally:
        await engine.dispose()
    assert await current_revision(database_url) == head_revision()


async def test_downgrade_to_base_then_upgrade(database_url: str) -> None:
    """Downgrade to base drops authgate's tables; upgrading again restores them."""
    await upgrade(database_url)
    await downgrade(database_url, "base")
    assert await table_names(database_url) == {VERSION_TABLE}
    assert await current_revision(database_url) is None
    await upgrade(database_url)
    assert await table_names(database_url) == TABLES | {VERSION_TABLE}
    assert await schema_diff(database_url) == []


async def test_concurrent_upgrades_serialize(database_url: str) -> None:
    """Instances starting together migrate one after the other, without errors."""
    await asyncio.gather(*(upgrade(database_url) for _ in range(4)))
    assert await current_revision(database_url) == head_revision()


async def test_unmigrated_database_is_a_store_error(database_url: str) -> None:
    """Using the stores before migrating says so, as a StoreError."""
    engine = create_engine(database_url)
    try:
        with pytest.raises(StoreError, match="run the migrations"):
            await SqlUserStore(engine).get("u1")
    finally:
        await engine.dispose()


async def test_version_table_is_authgates_own(postgres_url: str) -> None:
    """authgate does not touch an application's own ``alembic_version``."""
    engine = create_engine(postgres_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE alembic_version (version_num TEXT)"))
            await conn.execute(text("INSERT INTO alembic_version VALUES ('app123')"))
        await upgrade(postgres_url)
        async with engine.connect() as conn:
            app = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert app == [("app123",)]
    finally:
        await engine.dispose()
