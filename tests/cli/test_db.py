"""``authgate db upgrade``: creates the schema, under concurrency, and fails cleanly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from server._console import Command, Result, clean_env, run_many

SECRET_IN_URL = "hunter2pw"
URLS = {
    "unsupported": f"mysql://root:{SECRET_IN_URL}@localhost/auth",
    "unreachable": f"postgresql://auth:{SECRET_IN_URL}@127.0.0.1:1/auth?connect_timeout=2",
}


@pytest.fixture(scope="module")
def upgrades(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Result]]:
    """Two concurrent upgrades of one fresh file, and the failing URLs, at once."""
    directory = tmp_path_factory.mktemp("db")
    fresh = Command(["db", "upgrade"], clean_env(directory), directory)
    commands = {"first": fresh, "second": fresh}
    for name, url in URLS.items():
        commands[name] = Command(
            ["db", "upgrade"], clean_env(directory, DATABASE_URL=url), directory
        )
    results = run_many(list(commands.values()))
    return directory / "authgate.db", dict(zip(commands, results, strict=True))


def test_concurrent_upgrades_create_the_schema_once(
    upgrades: tuple[Path, dict[str, Result]],
) -> None:
    """Two ``db upgrade`` at once on a fresh file both succeed (they migrate
    one after the other under the lock); the file gets every table and
    authgate's own version table."""
    database, results = upgrades
    for name in ("first", "second"):
        assert results[name].returncode == 0, results[name].stderr
        assert "up to date" in results[name].stdout
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        query = "SELECT name FROM sqlite_master WHERE type = 'table'"
        tables = {row[0] for row in connection.execute(query)}
        versions = connection.execute("SELECT version_num FROM authgate_alembic_version").fetchall()
    finally:
        connection.close()
    assert {"users", "families", "refresh_tokens", "access_tokens", "revoked_tokens"} <= tables
    assert "alembic_version" not in tables  # authgate keeps its own version table
    assert len(versions) == 1


@pytest.mark.parametrize(
    ("name", "message"),
    [("unsupported", "unsupported database URL scheme"), ("unreachable", "database unavailable")],
)
def test_upgrade_failures_are_one_line_without_the_url_password(
    upgrades: tuple[Path, dict[str, Result]], name: str, message: str
) -> None:
    """An unsupported URL or an unreachable database fails non-zero with one
    ``error:`` line (no traceback) that never repeats the URL's password."""
    result = upgrades[1][name]
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.error_lines) == 1, result.stderr
    assert result.error_lines[0].startswith("error: ")
    assert message in result.error_lines[0]
    assert SECRET_IN_URL not in result.stdout + result.stderr
