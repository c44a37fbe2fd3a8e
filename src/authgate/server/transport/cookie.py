"""Browser transport: tokens only in HttpOnly cookies, CSRF token readable.

Attributes follow OWASP and RFC 6265bis: the access cookie is
``__Host-`` prefixed (Secure, Path=/, no Domain) so a sibling subdomain
cannot overwrite it; the refresh cookie is limited to the refresh path, which
``__Host-`` forbids, so it gets ``__Secure-``.  With a configured cookie
Domain both use ``__Secure-``.  Without Secure (dev on http://localhost only)
prefixes are impossible and plain names are used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from starlette.requests import Request
from starlette.responses import Response

from authgate.service.sessions import TokenPair

__all__ = ["CSRF_COOKIE", "CSRF_HEADER", "REFRESH_PATH", "CookieTransport"]

CSRF_COOKIE: Final = "csrf_token"
CSRF_HEADER: Final = "x-csrf-token"
REFRESH_PATH: Final = "/auth/refresh"


@dataclass(frozen=True, slots=True)
class CookieTransport:
    secure: bool
    domain: str | None
    refresh_samesite: Literal["lax", "strict"]
    access_max_age: int
    refresh_max_age: int

    @property
    def access_name(self) -> str:
        if not self.secure:
            return "authgate_access"
        return "__Secure-authgate_access" if self.domain else "__Host-authgate_access"

    @property
    def refresh_name(self) -> str:
        return "__Secure-authgate_refresh" if self.secure else "authgate_refresh"

    def access_token(self, request: Request) -> str | None:
        return request.cookies.get(self.access_name) or None

    def refresh_token(self, request: Request) -> str | None:
        return request.cookies.get(self.refresh_name) or None

    def csrf_cookie(self, request: Request) -> str | None:
        return request.cookies.get(CSRF_COOKIE) or None

    def set_session(self, response: Response, pair: TokenPair, csrf_token: str) -> None:
        response.set_cookie(
            self.access_name,
            pair.access.token,
            max_age=self.access_max_age,
            path="/",
            domain=self.domain,
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )
        response.set_cookie(
            self.refresh_name,
            pair.refresh.token,
            max_age=self.refresh_max_age,
            path=REFRESH_PATH,
            domain=self.domain,
            secure=self.secure,
            httponly=True,
            samesite=self.refresh_samesite,
        )
        self.set_csrf(response, csrf_token)

    def set_csrf(self, response: Response, csrf_token: str) -> None:
        # Readable by the page's script (double submit); bound to the session
        # by its MAC, so reading it cross-site would not help an attacker.
        response.set_cookie(
            CSRF_COOKIE,
            csrf_token,
            max_age=self.refresh_max_age,
            path="/",
            domain=self.domain,
            secure=self.secure,
            httponly=False,
            samesite="lax",
        )

    def clear(self, response: Response) -> None:
        for name, path, httponly in (
            (self.access_name, "/", True),
            (self.refresh_name, REFRESH_PATH, True),
            (CSRF_COOKIE, "/", False),
        ):
            response.set_cookie(
                name,
                "",
                max_age=0,
                expires=0,
                path=path,
                domain=self.domain,
                secure=self.secure,
                httponly=httponly,
                samesite="lax",
            )
