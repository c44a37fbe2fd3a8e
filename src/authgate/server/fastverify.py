"""The gateway hot path: ``GET /auth/verify`` with a Bearer token, in raw ASGI.

A gateway calls this before every request of the application behind it, so
it is authgate's most frequent request.  The common case — a well-formed
``Authorization: Bearer`` header with a valid token — is answered here,
before routing, dependency injection or middleware run, with headers built
from preallocated parts.  Everything else (cookies and their CSRF checks, a
missing or malformed header, any refusal) falls through to the regular
``/auth/verify`` route, which owns those semantics and logs the failure: this
module adds speed, never a second definition of what is accepted.
"""

from __future__ import annotations

import time
from typing import Final

from starlette.types import ASGIApp, Receive, Scope, Send

from authgate.core.errors import AuthgateError
from authgate.core.tokens import TokenVerifier
from authgate.server.metrics import Metrics
from authgate.server.middleware import SECURITY_HEADERS

__all__ = ["FastVerify"]

_PATH: Final = "/auth/verify"
_BEARER: Final = b"bearer "
_STATE_CHANGING: Final = frozenset({b"POST", b"PUT", b"PATCH", b"DELETE"})
_STATIC_HEADERS: Final = [
    (b"cache-control", b"no-store"),
    (b"content-length", b"0"),
    *SECURITY_HEADERS,
]


class FastVerify:
    """Outermost ASGI layer answering valid Bearer verifications directly."""

    __slots__ = ("app", "latency", "verifier")

    def __init__(self, app: ASGIApp, *, verifier: TokenVerifier, metrics: Metrics) -> None:
        self.app = app
        self.verifier = verifier
        self.latency = metrics.latency.labels(_PATH, "GET", "200")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != _PATH or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        token = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                if token is not None or value[:7].lower() != _BEARER:
                    token = None  # repeated or not Bearer: the route decides
                    break
                token = value[7:]
            elif name in (b"x-forwarded-method", b"x-original-method") and (
                value.upper() in _STATE_CHANGING
            ):
                token = None  # CSRF rules may apply: the route decides
                break
            elif name == b"origin":
                token = None  # a browser's cross-origin call: CORS headers are the route's
                break
        claims = None
        if token and b" " not in token:
            try:
                claims = self.verifier.verify_access_token(token.decode("latin-1"))
            except AuthgateError:
                claims = None  # the route answers and logs the refusal
        if claims is None:
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"x-auth-subject", claims.sub.encode()),
                    (b"x-auth-role", claims.role.encode()),
                    (b"x-auth-token-id", claims.jti.encode()),
                    *_STATIC_HEADERS,
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})
        self.latency.observe(time.perf_counter() - started)
