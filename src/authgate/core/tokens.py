"""Issuing and verifying authgate's access and refresh tokens.

:class:`TokenIssuer` signs with the key ring's active key; :class:`TokenVerifier`
runs the whole check in the order RFC 8725 asks for: size and syntax,
``kid`` → key → that key's algorithm → signature, then ``typ``, then the
claims, then revocation.  Access and refresh tokens differ in ``typ`` and
audience, so neither can stand in for the other.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections import OrderedDict
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
    check_times,
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
    """Verifies tokens; safe to share between requests of one event loop.

    ``revocations`` is consulted for access tokens only: refresh tokens are
    revoked by family in the session store.

    Access tokens that verified are remembered, keyed by their exact text,
    in a bounded cache (``cache_size`` entries, oldest evicted first): a
    client reuses its access token for up to 15 minutes, and a hit skips
    only the work whose result cannot change — signature, header and claim
    parsing.  Every hit still checks expiry, not-before and revocation, so a
    cached token is refused exactly when a fresh verification would refuse
    it.  Replacing ``keyring`` or ``policy`` empties the cache.
    """

    __slots__ = ("_cache", "_keyring", "_policy", "cache_size", "clock", "revocations")

    def __init__(
        self,
        keyring: KeyRing,
        policy: TokenPolicy,
        clock: Clock,
        revocations: RevocationList | None = None,
        *,
        cache_size: int = 4096,
    ) -> None:
        if cache_size < 0:
            raise ValueError("cache_size must be >= 0")
        self._keyring = keyring
        self._policy = policy
        self.clock = clock
        self.revocations = revocations
        self.cache_size = cache_size
        self._cache: OrderedDict[str, AccessClaims] = OrderedDict()

    @property
    def keyring(self) -> KeyRing:
        return self._keyring

    @keyring.setter
    def keyring(self, keyring: KeyRing) -> None:
        self._keyring = keyring
        self._cache.clear()  # a retired key must stop verifying at once

    @property
    def policy(self) -> TokenPolicy:
        return self._policy

    @policy.setter
    def policy(self, policy: TokenPolicy) -> None:
        self._policy = policy
        self._cache.clear()

    def _verified_payload(self, token: str | bytes, typ: str) -> tuple[dict[str, Any], str]:
        verified = jws.verify(token, self._keyring, max_bytes=self._policy.max_token_bytes)
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
        now = self.clock.now()
        claims = self._cache.get(token) if type(token) is str else None
        if claims is None:
            payload, kid = self._verified_payload(token, ACCESS_TOKEN_TYPE)
            claims = parse_access_claims(payload, self._policy, now, kid)
            if self.cache_size and type(token) is str:
                cache = self._cache
                if len(cache) >= self.cache_size:
                    with contextlib.suppress(KeyError):
                        cache.popitem(last=False)  # evict the oldest entry
                cache[token] = claims
        else:
            check_times(claims.iat, claims.nbf, claims.exp, self._policy.leeway, now)
        if self.revocations is not None and self.revocations.is_revoked(claims.jti):
            raise RevokedTokenError("token has been revoked")
        return claims

    def verify_refresh_token(self, token: str | bytes) -> RefreshClaims:
        """The claims of a validly signed, unexpired refresh token.

        Whether it is spent or its family revoked is the session store's
        business, not this function's.  Never cached: it is used once.

        Raises:
            TokenError: the subclass names the first check that failed.
        """
        payload, kid = self._verified_payload(token, REFRESH_TOKEN_TYPE)
        return parse_refresh_claims(payload, self._policy, self.clock.now(), kid)
