"""Issuing and verifying authgate's access and refresh tokens.

:class:`TokenIssuer` signs with the key ring's active key; :class:`TokenVerifier`
runs the whole check in the order RFC 8725 asks for: size and syntax,
``kid`` → key → that key's algorithm → signature, then ``typ``, then the
claims, then revocation.  Access and refresh tokens differ in ``typ`` and
audience, so neither can stand in for the other.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from authgate.core import jws
from authgate.core.claims import (
    ACCESS_TOKEN_TYPE,
    REFRESH_TOKEN_TYPE,
    AccessClaims,
    ExtraValue,
    RefreshClaims,
    TokenPolicy,
    extra_claim_value,
    parse_access_claims,
    parse_refresh_claims,
)
from authgate.core.clock import Clock
from authgate.core.errors import (
    InvalidClaimError,
    RevokedTokenError,
    WrongTokenTypeError,
)
from authgate.core.keys import KeyRing
from authgate.core.revocation import RevocationList

__all__ = ["IssuedAccessToken", "IssuedRefreshToken", "TokenIssuer", "TokenVerifier"]

_JTI_BYTES: Final = 16  # 128 bits


@dataclass(frozen=True, slots=True)
class IssuedAccessToken:
    """A signed access token and its claims; ``repr`` never shows the token."""

    token: str = field(repr=False)
    claims: AccessClaims


@dataclass(frozen=True, slots=True)
class IssuedRefreshToken:
    """A signed refresh token and its claims; ``repr`` never shows the token."""

    token: str = field(repr=False)
    claims: RefreshClaims


def _check_short(value: object, name: str, max_length: int) -> None:
    # The issuer never signs what its own verifier would refuse.
    if type(value) is not str or not 0 < len(value) <= max_length:
        raise InvalidClaimError(f"{name} must be a non-empty string of at most {max_length} chars")


def _check_subject(subject: str) -> None:
    if not isinstance(subject, str) or not 0 < len(subject) <= 255:
        raise InvalidClaimError("subject must be a non-empty string of at most 255 characters")
    if "@" in subject:
        # Pseudonymity: sub is an opaque random id, never an email address.
        raise InvalidClaimError("subject must be an opaque id, not an email address")


class TokenIssuer:
    """Signs access and refresh tokens with the active key."""

    __slots__ = ("clock", "keyring", "policy")

    def __init__(self, keyring: KeyRing, policy: TokenPolicy, clock: Clock) -> None:
        self.keyring = keyring
        self.policy = policy
        self.clock = clock

    def _sign(self, typ: str, claims: Mapping[str, Any]) -> str:
        key = self.keyring.active
        header = {"alg": key.alg, "kid": key.kid, "typ": typ}
        payload = json.dumps(claims, separators=(",", ":")).encode()
        return jws.sign(header, payload, key)

    def issue_access_token(
        self,
        *,
        subject: str,
        role: str,
        session_id: str | None = None,
        extra: Mapping[str, ExtraValue] | None = None,
    ) -> IssuedAccessToken:
        """Raises ``InvalidClaimError`` for an email-like subject or extra claims
        the policy does not allow (minimal claims)."""
        _check_subject(subject)
        _check_short(role, "role", 64)
        if session_id is not None:
            _check_short(session_id, "session id", 128)
        extra = dict(extra or {})
        if not extra.keys() <= self.policy.extra_claims:
            raise InvalidClaimError("extra claims must be on the policy's allowlist")
        extra = {
            k: extra_claim_value(list(v) if isinstance(v, tuple) else v) for k, v in extra.items()
        }
        policy, now = self.policy, int(self.clock.now())
        claims: dict[str, Any] = {
            "iss": policy.issuer,
            "aud": policy.audience,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + policy.access_ttl,
            "jti": secrets.token_urlsafe(_JTI_BYTES),
            "role": role,
        }
        if session_id is not None:
            claims["sid"] = session_id
        claims.update({k: list(v) if isinstance(v, tuple) else v for k, v in extra.items()})
        token = self._sign(ACCESS_TOKEN_TYPE, claims)
        return IssuedAccessToken(
            token,
            AccessClaims(
                sub=subject,
                role=role,
                jti=claims["jti"],
                iat=now,
                nbf=now,
                exp=claims["exp"],
                iss=policy.issuer,
                aud=policy.audience,
                kid=self.keyring.active.kid,
                sid=session_id,
                extra=MappingProxyType(extra),
            ),
        )

    def issue_refresh_token(self, *, subject: str, session_id: str) -> IssuedRefreshToken:
        """A refresh token in family ``session_id``."""
        _check_subject(subject)
        _check_short(session_id, "session id", 128)
        policy, now = self.policy, int(self.clock.now())
        claims: dict[str, Any] = {
            "iss": policy.issuer,
            "aud": policy.refresh_audience,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + policy.refresh_ttl,
            "jti": secrets.token_urlsafe(_JTI_BYTES),
            "sid": session_id,
        }
        token = self._sign(REFRESH_TOKEN_TYPE, claims)
        return IssuedRefreshToken(
            token,
            RefreshClaims(
                sub=subject,
                sid=session_id,
                jti=claims["jti"],
                iat=now,
                nbf=now,
                exp=claims["exp"],
                iss=policy.issuer,
                aud=policy.refresh_audience,
                kid=self.keyring.active.kid,
            ),
        )


class TokenVerifier:
    """Verifies tokens; safe to share between threads and requests.

    ``revocations`` is consulted for access tokens only: refresh tokens are
    revoked by family in the session store.
    """

    __slots__ = ("clock", "keyring", "policy", "revocations")

    def __init__(
        self,
        keyring: KeyRing,
        policy: TokenPolicy,
        clock: Clock,
        revocations: RevocationList | None = None,
    ) -> None:
        self.keyring = keyring
        self.policy = policy
        self.clock = clock
        self.revocations = revocations

    def _verified_payload(self, token: str | bytes, typ: str) -> tuple[dict[str, Any], str]:
        verified = jws.verify(token, self.keyring, max_bytes=self.policy.max_token_bytes)
        if verified.header.get("typ") != typ:
            raise WrongTokenTypeError(f"expected a token of type {typ}")
        payload = jws.parse_json_object(verified.payload, "payload")
        return payload, verified.key.kid

    def verify_access_token(self, token: str | bytes) -> AccessClaims:
        """The claims of a valid, unrevoked access token.

        Raises:
            TokenError: the subclass names the first check that failed.
            StoreError: the revocation backend cannot answer (fail closed).
        """
        payload, kid = self._verified_payload(token, ACCESS_TOKEN_TYPE)
        claims = parse_access_claims(payload, self.policy, self.clock.now(), kid)
        if self.revocations is not None and self.revocations.is_revoked(claims.jti):
            raise RevokedTokenError("token has been revoked")
        return claims

    def verify_refresh_token(self, token: str | bytes) -> RefreshClaims:
        """The claims of a validly signed, unexpired refresh token.

        Whether it is spent or its family revoked is the session store's
        business, not this function's.

        Raises:
            TokenError: the subclass names the first check that failed.
        """
        payload, kid = self._verified_payload(token, REFRESH_TOKEN_TYPE)
        return parse_refresh_claims(payload, self.policy, self.clock.now(), kid)
