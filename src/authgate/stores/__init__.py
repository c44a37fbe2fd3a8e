"""Persistence behind Protocols: sql (SQLite default, PostgreSQL), memory, redis."""

from __future__ import annotations

from authgate.stores.protocols import RevokedTokenStore, SessionStore, ThrottleStore, UserStore
from authgate.stores.records import Family, RefreshRecord, RotationOutcome, RotationResult, User

__all__ = [
    "Family",
    "RefreshRecord",
    "RevokedTokenStore",
    "RotationOutcome",
    "RotationResult",
    "SessionStore",
    "ThrottleStore",
    "User",
    "UserStore",
]
