"""Fixtures of the server tests (defined in ``_fixtures``, shared with tests/cli)."""

from __future__ import annotations

from ._fixtures import (
    account,
    api,
    browser,
    database,
    jwt_secret,
    make_api,
    make_browser,
    make_server,
    migrated_template,
    reaper,
    server,
)

__all__ = [
    "account",
    "api",
    "browser",
    "database",
    "jwt_secret",
    "make_api",
    "make_browser",
    "make_server",
    "migrated_template",
    "reaper",
    "server",
]
