"""Sessions: login starts a refresh-token family, refresh rotates it.

Rotation follows the OAuth 2.0 Security BCP (RFC 9700 §4.14.2): each refresh
token is single-use; presenting a spent one means two parties hold it, so the
whole family and its live access tokens are revoked.  Two honest tabs that
refresh at the same moment are told apart from theft by a short grace window
in which the late one receives the *same* successor (sealed in the store under
the spent token) instead of a logout.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from authgate.core.claims import RefreshClaims
from authgate.core.clock import Clock
from authgate.core.errors import (
    NotFoundError,
    RefreshReuseError,
    SessionRevokedError,
    TokenError,
)
from authgate.core.sealed import open_for_holder, seal_for_holder
from authgate.core.tokens import (
    IssuedAccessToken,
    IssuedRefreshToken,
    TokenIssuer,
    TokenVerifier,
)
from authgate.service.context import ClientInfo
from authgate.service.events import EventSink, SecurityEvent, fingerprint
from authgate.service.revocation import Revoker
from authgate.stores.protocols import SessionStore
from authgate.stores.records import Family, RefreshRecord, RotationOutcome, User

__all__ = ["RoleLookup", "Sessions", "TokenPair", "refresh_token_hash"]

_BOX_CONTEXT = b"refresh successor"

#: The current role of an enabled user, or ``None`` (unknown or disabled).
#: Refresh re-reads it, so a role change or a disable takes effect at the next
#: refresh rather than after the refresh token's seven days.
RoleLookup = Callable[[str], Awaitable[str | None]]


def refresh_token_hash(token: str) -> bytes:
    """Refresh tokens are stored only as SHA-256 (they carry 128+ random bits,
    so a fast hash suffices: there is nothing to brute-force)."""
    return hashlib.sha256(token.encode("ascii", "replace")).digest()


def new_session_id() -> str:
    return "s_" + secrets.token_urlsafe(16)


@dataclass(frozen=True, slots=True)
class TokenPair:
    """What a login or refresh hands to the transport; ``repr`` hides tokens."""

    access: IssuedAccessToken = field(repr=False)
    refresh: IssuedRefreshToken = field(repr=False)

    @property
    def session_id(self) -> str:
        return self.refresh.claims.sid


class Sessions:
    __slots__ = ("clock", "events", "grace_seconds", "issuer", "revoker", "store", "verifier")

    def __init__(
        self,
        store: SessionStore,
        revoker: Revoker,
        issuer: TokenIssuer,
        verifier: TokenVerifier,
        events: EventSink,
        clock: Clock,
        *,
        grace_seconds: float = 5.0,
    ) -> None:
        self.store = store
        self.revoker = revoker
        self.issuer = issuer
        self.verifier = verifier
        self.events = events
        self.clock = clock
        self.grace_seconds = grace_seconds

    def _emit(self, event: str, code: str, client: ClientInfo | None, **ids: str | None) -> None:
        self.events.emit(SecurityEvent.of(event, code, client, timestamp=self.clock.now(), **ids))

    async def _issue_access(self, user_id: str, role: str, session_id: str) -> IssuedAccessToken:
        access = self.issuer.issue_access_token(subject=user_id, role=role, session_id=session_id)
        await self.store.record_access_token(session_id, access.claims.jti, access.claims.exp)
        return access

    async def start(self, user: User, client: ClientInfo) -> TokenPair:
        """A new family for a freshly authenticated user."""
        now = self.clock.now()
        session_id = new_session_id()
        refresh = self.issuer.issue_refresh_token(subject=user.id, session_id=session_id)
        family = Family(
            id=session_id,
            user_id=user.id,
            created_at=now,
            last_used_at=now,
            expires_at=refresh.claims.exp,
            ip=client.ip,
            user_agent=client.user_agent,
        )
        record = RefreshRecord(
            token_hash=refresh_token_hash(refresh.token),
            family_id=session_id,
            issued_at=now,
            expires_at=refresh.claims.exp,
        )
        await self.store.create_family(family, record)
        access = await self._issue_access(user.id, user.role, session_id)
        return TokenPair(access, refresh)

    def check_refresh_token(self, token: str, client: ClientInfo) -> RefreshClaims:
        """Verify a refresh token (signature, type, claims), logging failures.

        Raises:
            TokenError: not a valid, unexpired refresh token.
        """
        try:
            return self.verifier.verify_refresh_token(token)
        except TokenError as err:
            self._emit("refresh.failed", err.code, client, fingerprint=fingerprint(token))
            raise

    async def refresh(
        self,
        token: str,
        role_of: RoleLookup,
        client: ClientInfo,
        *,
        claims: RefreshClaims | None = None,
    ) -> TokenPair:
        """Rotate ``token``; see the module docstring for the outcomes.

        ``claims`` skips re-verification when the caller already ran
        :meth:`check_refresh_token` (e.g. to check CSRF against its session).

        Raises:
            TokenError: not a valid, unexpired refresh token.
            RefreshReuseError: a spent token came back; its family is revoked.
            SessionRevokedError: unknown token, revoked family, disabled user.
        """
        claims = claims or self.check_refresh_token(token, client)
        now = self.clock.now()
        successor = self.issuer.issue_refresh_token(subject=claims.sub, session_id=claims.sid)
        record = RefreshRecord(
            token_hash=refresh_token_hash(successor.token),
            family_id=claims.sid,
            issued_at=now,
            expires_at=successor.claims.exp,
        )
        box = seal_for_holder(successor.token, token, context=_BOX_CONTEXT)
        result = await self.store.rotate(
            refresh_token_hash(token),
            record,
            box,
            now=now,
            grace_seconds=self.grace_seconds,
            ip=client.ip,
            user_agent=client.user_agent,
        )
        family = result.family
        ids = {"user_id": claims.sub, "family_id": claims.sid, "jti": claims.jti}
        if result.outcome is RotationOutcome.REUSED:
            await self.revoker.revoke(result.live_access)
            self._emit("refresh.reuse_detected", RefreshReuseError.code, client, **ids)
            self._emit("session.revoked", RefreshReuseError.code, client, **ids)
            raise RefreshReuseError("refresh token was already used; the session is revoked")
        if (
            family is None
            or family.user_id != claims.sub
            or result.outcome in (RotationOutcome.REVOKED, RotationOutcome.UNKNOWN)
        ):
            self._emit("refresh.failed", SessionRevokedError.code, client, **ids)
            raise SessionRevokedError("session is no longer valid")
        role = await role_of(claims.sub)
        if role is None:
            await self.revoke_user_sessions(claims.sub, reason="user_disabled", client=client)
            raise SessionRevokedError("session is no longer valid")
        if result.outcome is RotationOutcome.GRACE:
            opened = open_for_holder(result.successor_box or b"", token, context=_BOX_CONTEXT)
            if opened is None:
                raise SessionRevokedError("session is no longer valid")
            successor = IssuedRefreshToken(opened, self.verifier.verify_refresh_token(opened))
            self._emit("refresh.grace", "grace", client, **ids)
        else:
            self._emit("refresh.rotated", "rotated", client, **ids)
        access = await self._issue_access(claims.sub, role, claims.sid)
        # A logout or reuse revocation that committed between the rotation and
        # record_access_token did not see this jti: check, and revoke it here.
        current = await self.store.get_family(claims.sid)
        if current is None or current.revoked_at is not None:
            await self.revoker.revoke([(access.claims.jti, access.claims.exp)])
            self._emit("refresh.failed", SessionRevokedError.code, client, **ids)
            raise SessionRevokedError("session is no longer valid")
        return TokenPair(access, successor)

    async def logout(
        self,
        user_id: str,
        session_id: str | None,
        access: tuple[str, float] | None,
        client: ClientInfo,
    ) -> None:
        """Revoke this session's family, its access tokens and ``access`` itself."""
        live: list[tuple[str, float]] = []
        if session_id is not None:
            live = await self.store.revoke_families(
                user_id, now=self.clock.now(), reason="logout", family_id=session_id
            )
        await self.revoker.revoke([*live, *([access] if access else [])])
        self._emit("logout", "logout", client, user_id=user_id, family_id=session_id)

    async def revoke_user_sessions(
        self,
        user_id: str,
        *,
        reason: str,
        client: ClientInfo | None = None,
        keep_session_id: str | None = None,
    ) -> int:
        """Revoke every family of the user (but ``keep_session_id``) and their
        live access tokens; returns how many access tokens were revoked."""
        live = await self.store.revoke_families(
            user_id, now=self.clock.now(), reason=reason, keep_family_id=keep_session_id
        )
        revoked = await self.revoker.revoke(live)
        self._emit("session.revoked", reason, client, user_id=user_id)
        return revoked

    async def list_sessions(self, user_id: str) -> list[Family]:
        return await self.store.list_families(user_id, now=self.clock.now())

    async def revoke_session(self, user_id: str, session_id: str, client: ClientInfo) -> None:
        """Raises NotFoundError unless ``session_id`` is a live session of the user."""
        family = await self.store.get_family(session_id)
        if family is None or family.user_id != user_id or family.revoked_at is not None:
            raise NotFoundError("no such session")
        live = await self.store.revoke_families(
            user_id, now=self.clock.now(), reason="revoked_by_user", family_id=session_id
        )
        await self.revoker.revoke(live)
        self._emit(
            "session.revoked", "revoked_by_user", client, user_id=user_id, family_id=session_id
        )
