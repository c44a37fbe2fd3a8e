"""How tokens travel: HttpOnly cookies for browsers, Bearer for everyone else."""

from __future__ import annotations

from authgate.server.transport.bearer import bearer_token, token_body, wants_bearer
from authgate.server.transport.cookie import CSRF_COOKIE, CSRF_HEADER, REFRESH_PATH, CookieTransport

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "REFRESH_PATH",
    "CookieTransport",
    "bearer_token",
    "token_body",
    "wants_bearer",
]
