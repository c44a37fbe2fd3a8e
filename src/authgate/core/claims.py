"""Token policy and the typed claims of the two token kinds.

Claims are minimal (issuer, audience, opaque subject, times, id, role and an
optional session id) and everything is checked strictly after the signature:
required claims present with exact JSON types (``exp`` is an integer, never a
string, float or boolean), no claim authgate did not put there, ``iss``,
``aud``, times with at most 30 s of leeway, and a lifetime no longer than the
policy allows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from authgate.core.errors import (
    ConfigurationError,
    ExpiredTokenError,
    InvalidAudienceError,
    InvalidClaimError,
    InvalidIssuerError,
    NotYetValidError,
)
from authgate.core.jws import MAX_TOKEN_BYTES

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "MAX_LEEWAY",
    "REFRESH_TOKEN_TYPE",
    "AccessClaims",
    "ExtraValue",
    "RefreshClaims",
    "TokenPolicy",
    "check_times",
    "extra_claim_value",
    "parse_access_claims",
    "parse_refresh_claims",
]

ACCESS_TOKEN_TYPE: Final = "at+jwt"  # noqa: S105 - RFC 9068 §2.1 media type
REFRESH_TOKEN_TYPE: Final = "rt+jwt"  # noqa: S105 - authgate's own media type
MAX_LEEWAY: Final = 30
MAX_NUMERIC_DATE: Final = 253_402_300_799  # 9999-12-31T23:59:59Z
RESERVED_CLAIMS: Final = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "role", "sid"})
_CLAIM_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")

ExtraValue = str | int | bool | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TokenPolicy:
    """Who issues, who may accept, how long tokens live.

    Refresh tokens get their own audience (``<issuer>#refresh``): only the
    auth server consumes them.

    Raises:
        ConfigurationError: every problem at once — empty issuer/audience,
            leeway outside 0-30 s, non-positive lifetimes, an access lifetime
            longer than the refresh lifetime, bad extra-claim names.
    """

    issuer: str
    audience: str
    access_ttl: int = 15 * 60
    refresh_ttl: int = 7 * 24 * 3600
    leeway: int = MAX_LEEWAY
    extra_claims: frozenset[str] = field(default_factory=frozenset)
    max_token_bytes: int = MAX_TOKEN_BYTES

    def __post_init__(self) -> None:
        object.__setattr__(self, "extra_claims", frozenset(self.extra_claims))
        problems: list[str] = []
        if not self.issuer:
            problems.append("issuer must not be empty")
        if not self.audience:
            problems.append("audience must not be empty")
        if self.audience == self.refresh_audience:
            problems.append("audience must differ from the refresh audience")
        if not 0 <= self.leeway <= MAX_LEEWAY:
            problems.append(f"leeway must be between 0 and {MAX_LEEWAY} seconds")
        if self.access_ttl <= 0 or self.refresh_ttl <= 0:
            problems.append("token lifetimes must be positive")
        elif self.access_ttl > self.refresh_ttl:
            problems.append("the access-token lifetime must not exceed the refresh-token lifetime")
        if not 256 <= self.max_token_bytes <= MAX_TOKEN_BYTES:
            problems.append(f"max_token_bytes must be between 256 and {MAX_TOKEN_BYTES}")
        for name in sorted(self.extra_claims):
            if name in RESERVED_CLAIMS or not _CLAIM_NAME.fullmatch(name):
                problems.append(f"extra claim {name!r} is reserved or not a lower-case name")
        if problems:
            raise ConfigurationError(problems)

    @property
    def refresh_audience(self) -> str:
        return f"{self.issuer}#refresh"

    @property
    def max_token_age(self) -> int:
        """How long after signing a token may still verify: for key rotation."""
        return max(self.access_ttl, self.refresh_ttl) + self.leeway


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """A verified access token (``typ`` ``at+jwt``)."""

    sub: str
    role: str
    jti: str
    iat: int
    nbf: int
    exp: int
    iss: str
    aud: str
    kid: str
    sid: str | None = None
    extra: Mapping[str, ExtraValue] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class RefreshClaims:
    """A verified refresh token (``typ`` ``rt+jwt``); ``sid`` is its family."""

    sub: str
    sid: str
    jti: str
    iat: int
    nbf: int
    exp: int
    iss: str
    aud: str
    kid: str


def _string(payload: Mapping[str, Any], name: str, *, max_length: int = 255) -> str:
    value = payload.get(name)
    if type(value) is not str or not 0 < len(value) <= max_length:
        raise InvalidClaimError(f"claim {name} is missing or not a short string")
    return value


def _numeric_date(payload: Mapping[str, Any], name: str) -> int:
    value = payload.get(name)
    # type() rather than isinstance(): bool is an int subclass and is refused.
    if type(value) is not int or not 0 <= value <= MAX_NUMERIC_DATE:
        raise InvalidClaimError(f"claim {name} is missing or not an integer NumericDate")
    return value


def extra_claim_value(value: Any) -> ExtraValue:
    """An allowlisted extra claim's value, if of a type authgate carries.

    Raises:
        InvalidClaimError: floats, null, objects, mixed lists, ints past 2**53.
    """
    if type(value) in (str, bool) or (type(value) is int and abs(value) <= 2**53):
        return value  # type: ignore[no-any-return]
    if type(value) is list and all(type(item) is str for item in value):
        return tuple(value)
    raise InvalidClaimError("an extra claim has an unsupported type")


def check_times(iat: int, nbf: int, exp: int, leeway: int, now: float) -> None:
    """Valid from ``nbf - leeway`` (and ``iat - leeway``) until before ``exp + leeway``.

    Raises:
        ExpiredTokenError, NotYetValidError.
    """
    if now >= exp + leeway:
        raise ExpiredTokenError("token has expired")
    if nbf > now + leeway or iat > now + leeway:
        raise NotYetValidError("token is not valid yet")


def _check_common(
    payload: Mapping[str, Any],
    policy: TokenPolicy,
    now: float,
    *,
    audience: str,
    ttl: int,
    allowed: frozenset[str],
) -> tuple[str, int, int, int]:
    if not payload.keys() <= allowed:
        raise InvalidClaimError("token carries a claim that is not allowed")
    iss = _string(payload, "iss", max_length=2048)
    aud = payload.get("aud")
    sub = _string(payload, "sub")
    _string(payload, "jti", max_length=128)
    iat = _numeric_date(payload, "iat")
    nbf = _numeric_date(payload, "nbf")
    exp = _numeric_date(payload, "exp")
    if iss != policy.issuer:
        raise InvalidIssuerError("token was issued by someone else")
    if type(aud) is str:
        aud_ok = aud == audience
    elif type(aud) is list and aud and all(type(a) is str for a in aud):
        aud_ok = audience in aud
    else:
        raise InvalidClaimError("claim aud is missing or not a string or list of strings")
    if not aud_ok:
        raise InvalidAudienceError("token is meant for another audience")
    check_times(iat, nbf, exp, policy.leeway, now)
    if not iat <= nbf < exp or exp - iat > ttl:
        raise InvalidClaimError("token lifetime is inconsistent with the policy")
    return sub, iat, nbf, exp


_ACCESS_REQUIRED: Final = frozenset({"iss", "aud", "sub", "exp", "nbf", "iat", "jti", "role"})
_REFRESH_ALLOWED: Final = frozenset({"iss", "aud", "sub", "exp", "nbf", "iat", "jti", "sid"})


def parse_access_claims(
    payload: Mapping[str, Any], policy: TokenPolicy, now: float, kid: str
) -> AccessClaims:
    """Validate a verified access-token payload.

    Raises:
        InvalidClaimError, InvalidIssuerError, InvalidAudienceError,
        ExpiredTokenError, NotYetValidError.
    """
    allowed = _ACCESS_REQUIRED | {"sid"} | policy.extra_claims
    sub, iat, nbf, exp = _check_common(
        payload, policy, now, audience=policy.audience, ttl=policy.access_ttl, allowed=allowed
    )
    role = _string(payload, "role", max_length=64)
    sid = _string(payload, "sid", max_length=128) if "sid" in payload else None
    extra = {
        name: extra_claim_value(payload[name]) for name in policy.extra_claims if name in payload
    }
    return AccessClaims(
        sub=sub,
        role=role,
        jti=payload["jti"],
        iat=iat,
        nbf=nbf,
        exp=exp,
        iss=policy.issuer,
        aud=policy.audience,
        kid=kid,
        sid=sid,
        extra=MappingProxyType(extra),
    )


def parse_refresh_claims(
    payload: Mapping[str, Any], policy: TokenPolicy, now: float, kid: str
) -> RefreshClaims:
    """Validate a verified refresh-token payload; see :func:`parse_access_claims`."""
    sub, iat, nbf, exp = _check_common(
        payload,
        policy,
        now,
        audience=policy.refresh_audience,
        ttl=policy.refresh_ttl,
        allowed=_REFRESH_ALLOWED,
    )
    sid = _string(payload, "sid", max_length=128)
    return RefreshClaims(
        sub=sub,
        sid=sid,
        jti=payload["jti"],
        iat=iat,
        nbf=nbf,
        exp=exp,
        iss=policy.issuer,
        aud=policy.refresh_audience,
        kid=kid,
    )
