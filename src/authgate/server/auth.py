"""Who is making this request, and may they change state?

Bearer requests carry their proof in a header a browser never adds on its
own, so they are exempt from CSRF checks.  Cookie requests that change state
must pass three checks (OWASP CSRF cheat sheet): an ``Origin``, when present,
on the allowlist; ``Sec-Fetch-Site``, when present, same-origin or same-site;
and an ``X-CSRF-Token`` whose MAC binds it to this session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from starlette.requests import Request

from authgate.bootstrap import Runtime
from authgate.core.claims import AccessClaims
from authgate.core.errors import CsrfError
from authgate.server.clientip import ClientIpResolver
from authgate.server.problems import MissingCredentialsError
from authgate.server.transport import CSRF_HEADER, CookieTransport, bearer_token
from authgate.service.context import ClientInfo
from authgate.service.events import SecurityEvent

__all__ = ["STATE_CHANGING", "Principal", "RequestAuth"]

STATE_CHANGING: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FETCH_SITES_OK: Final = frozenset({"same-origin", "same-site"})


@dataclass(frozen=True, slots=True)
class Principal:
    claims: AccessClaims
    via: Literal["bearer", "cookie"]


class RequestAuth:
    __slots__ = ("cookies", "ips", "runtime")

    def __init__(self, runtime: Runtime, cookies: CookieTransport, ips: ClientIpResolver) -> None:
        self.runtime = runtime
        self.cookies = cookies
        self.ips = ips

    def client(self, request: Request) -> ClientInfo:
        peer = request.client.host if request.client else None
        ip = self.ips.resolve(peer, request.headers.get("x-forwarded-for"))
        return ClientInfo(ip=ip, user_agent=request.headers.get("user-agent"))

    def _refuse(self, request: Request, reason: str, **ids: str | None) -> CsrfError:
        runtime = self.runtime
        runtime.events.emit(
            SecurityEvent.of(
                "csrf.refused", reason, self.client(request), timestamp=runtime.clock.now(), **ids
            )
        )
        return CsrfError(f"cross-site request refused ({reason})")

    def check_origin(self, request: Request) -> None:
        """Origin / Sec-Fetch-Site checks; for login too, against login CSRF."""
        origin = request.headers.get("origin")
        if origin is not None and origin.rstrip("/") not in self.runtime.settings.allowed_origins:
            raise self._refuse(request, "origin_not_allowed")
        site = request.headers.get("sec-fetch-site")
        if site is not None and site not in _FETCH_SITES_OK:
            raise self._refuse(request, "cross_site")

    def check_csrf(self, request: Request, session_id: str | None, user_id: str | None) -> None:
        """All three checks for a state-changing cookie request of a session."""
        self.check_origin(request)
        try:
            # A token without a session has no CSRF token; "" never verifies.
            self.runtime.csrf.verify(request.headers.get(CSRF_HEADER), session_id or "")
        except CsrfError as err:
            raise self._refuse(
                request, "csrf_token", user_id=user_id, family_id=session_id
            ) from err

    def authenticate(self, request: Request, *, state_changing: bool | None = None) -> Principal:
        """The verified caller.

        Raises:
            MissingCredentialsError, TokenError, CsrfError, StoreError.
        """
        token = bearer_token(request.headers.get("authorization"))
        via: Literal["bearer", "cookie"] = "bearer"
        if token is None:
            token = self.cookies.access_token(request)
            via = "cookie"
        if token is None:
            raise MissingCredentialsError("authentication required")
        claims = self.runtime.access.verify(token, self.client(request))
        if state_changing is None:
            state_changing = request.method in STATE_CHANGING
        if via == "cookie" and state_changing:
            self.check_csrf(request, claims.sid, claims.sub)
        return Principal(claims, via)
