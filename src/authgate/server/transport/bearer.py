"""Bearer transport (mobile, CLI, services): RFC 6750 header, OAuth-style body."""

from __future__ import annotations

from typing import Any, Final

from authgate.core.errors import MalformedTokenError
from authgate.service.sessions import TokenPair

__all__ = ["TRANSPORT_HEADER", "bearer_token", "token_body", "wants_bearer"]

TRANSPORT_HEADER: Final = "x-auth-transport"


def wants_bearer(transport_header: str | None) -> bool:
    return (transport_header or "").strip().lower() == "bearer"


def bearer_token(authorization: str | None) -> str | None:
    """The token of ``Authorization: Bearer <token>``; None when absent or
    another scheme.

    Raises:
        MalformedTokenError: a Bearer header without exactly one token (RFC 6750 §2.1).
    """
    if not authorization:
        return None
    scheme, _, rest = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = rest.strip()
    if not token or " " in token:
        raise MalformedTokenError("Authorization header must be 'Bearer <token>'")
    return token


def token_body(pair: TokenPair, *, access_ttl: int, refresh_ttl: int) -> dict[str, Any]:
    return {
        "access_token": pair.access.token,
        "token_type": "Bearer",
        "expires_in": access_ttl,
        "refresh_token": pair.refresh.token,
        "refresh_expires_in": refresh_ttl,
    }
