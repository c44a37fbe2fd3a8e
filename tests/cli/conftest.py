"""Fixtures of the CLI tests: the console script against this test's SQLite
file and secret, which a LiveServer (shared fixtures) can serve as well."""

from __future__ import annotations

from pathlib import Path

import pytest

from server._console import Command, Result, clean_env, run_authgate
from server._fixtures import (
    database,
    jwt_secret,
    make_api,
    make_browser,
    make_server,
    migrated_template,
    reaper,
)

from ._support import Authgate

__all__ = [
    "authgate",
    "cli_env",
    "database",
    "jwt_secret",
    "make_api",
    "make_browser",
    "make_server",
    "migrated_template",
    "reaper",
]


@pytest.fixture
def cli_env(database: Path, jwt_secret: str) -> dict[str, str]:
    """A clean environment: PATH, HOME and this test's AUTHGATE_* settings."""
    return clean_env(
        database.parent,
        DATABASE_URL=f"sqlite:///{database}",
        JWT_SECRET=jwt_secret,
        PASSWORD_PROFILE="owasp-minimum",
    )


@pytest.fixture
def authgate(cli_env: dict[str, str], database: Path) -> Authgate:
    """Runs ``authgate <args>`` on this test's database and secret."""

    def run(*args: str, stdin: str | None = None) -> Result:
        return run_authgate(Command(list(args), cli_env, database.parent, stdin))

    return run
