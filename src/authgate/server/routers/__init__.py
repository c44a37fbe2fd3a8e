"""HTTP routes of the contract in shared/API.md."""

from __future__ import annotations

from authgate.server.routers import auth, ops, pages, sessions

__all__ = ["auth", "ops", "pages", "sessions"]
