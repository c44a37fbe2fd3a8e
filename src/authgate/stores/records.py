"""Domain records that cross the store Protocols (no driver types)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "Family",
    "RefreshRecord",
    "RotationOutcome",
    "RotationResult",
    "User",
]


@dataclass(frozen=True, slots=True)
class User:
    """An account.  ``id`` is the opaque, random ``sub`` of its tokens.

    ``email`` keeps the spelling the user typed; uniqueness is on
    ``email.casefold()``, which stores keep as their own column.
    """

    id: str
    email: str
    password_hash: str
    role: str
    disabled: bool
    created_at: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class Family:
    """A session: one chain of rotated refresh tokens from one login."""

    id: str
    user_id: str
    created_at: float
    last_used_at: float
    expires_at: float
    ip: str | None
    user_agent: str | None
    revoked_at: float | None = None
    revoked_reason: str | None = None


@dataclass(frozen=True, slots=True)
class RefreshRecord:
    """One refresh token of a family, known only by the SHA-256 of its text.

    ``successor_box`` is set when the token is spent: the successor refresh
    token encrypted under a key derived from *this* token, so that only a
    holder of this token can obtain the successor during the grace window,
    and a database dump yields no usable token.
    """

    token_hash: bytes
    family_id: str
    issued_at: float
    expires_at: float
    spent_at: float | None = None
    successor_box: bytes | None = None


class RotationOutcome(enum.Enum):
    ROTATED = "rotated"  # the presented token is now spent, successor stored
    GRACE = "grace"  # spent moments ago: hand out the same successor
    REUSED = "reused"  # spent earlier: the family is now revoked
    REVOKED = "revoked"  # the family had already been revoked
    UNKNOWN = "unknown"  # no such token


@dataclass(frozen=True, slots=True)
class RotationResult:
    outcome: RotationOutcome
    family: Family | None = None
    successor_box: bytes | None = None
    #: Access tokens of the family still alive when it was revoked (REUSED):
    #: ``(jti, exp)`` pairs to put on the revocation list.
    live_access: tuple[tuple[str, float], ...] = ()
