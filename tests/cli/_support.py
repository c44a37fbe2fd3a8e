"""Helpers of the CLI tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from server._console import Result

__all__ = ["STRONG_PASSWORD", "Authgate", "count_users", "stored_users"]

STRONG_PASSWORD: Final = "Quartz-Lantern-Velvet-7319"

#: ``authgate(*args, stdin=None)``: run the console script, return its Result.
Authgate = Callable[..., Result]


def stored_users(database: Path) -> list[dict[str, Any]]:
    """Rows of the users table, read with the stdlib driver, read-only."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute("SELECT * FROM users ORDER BY created_at")]
    finally:
        connection.close()


def count_users(database: Path) -> int:
    return len(stored_users(database))
