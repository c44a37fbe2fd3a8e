"""Use cases: register, login, refresh, logout, revoke, verify — no HTTP here."""

from __future__ import annotations

from authgate.service.accounts import ROLES, Accounts, normalize_email
from authgate.service.context import ClientInfo
from authgate.service.events import (
    EventSink,
    FanoutSink,
    JsonLinesSink,
    MemorySink,
    SecurityEvent,
    fingerprint,
)
from authgate.service.hashing import HashingPool
from authgate.service.revocation import Revoker
from authgate.service.sessions import RoleLookup, Sessions, TokenPair, refresh_token_hash
from authgate.service.throttle import LoginThrottle, ThrottlePolicy
from authgate.service.verify import AccessVerifier

__all__ = [
    "ROLES",
    "AccessVerifier",
    "Accounts",
    "ClientInfo",
    "EventSink",
    "FanoutSink",
    "HashingPool",
    "JsonLinesSink",
    "LoginThrottle",
    "MemorySink",
    "Revoker",
    "RoleLookup",
    "SecurityEvent",
    "Sessions",
    "ThrottlePolicy",
    "TokenPair",
    "fingerprint",
    "normalize_email",
    "refresh_token_hash",
]
