"""Issuing and verifying access and refresh tokens: round trips, type, revocation."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from authgate.core import (
    ACCESS_TOKEN_TYPE,
    REFRESH_TOKEN_TYPE,
    BadSignatureError,
    ExpiredTokenError,
    InvalidAudienceError,
    InvalidClaimError,
    Key,
    KeyRing,
    MalformedTokenError,
    ManualClock,
    MemoryRevocationList,
    RevokedTokenError,
    TokenIssuer,
    TokenPolicy,
    TokenTooLargeError,
    TokenVerifier,
    WrongTokenTypeError,
)

from ._support import (
    ALL_ALGORITHMS,
    HS_KID,
    HS_SECRET,
    NOW,
    access_claims,
    access_header,
    as_any,
    b64url,
    b64url_decode,
    forge,
    refuse,
    segments,
)

ACCESS_CLAIM_NAMES = {"iss", "aud", "sub", "iat", "nbf", "exp", "jti", "role"}
REFRESH_CLAIM_NAMES = {"iss", "aud", "sub", "iat", "nbf", "exp", "jti", "sid"}


def _claims_of(token: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(b64url_decode(segments(token)[1]))
    return payload


def _header_of(token: str) -> dict[str, Any]:
    header: dict[str, Any] = json.loads(b64url_decode(segments(token)[0]))
    return header


# --- issue → verify ----------------------------------------------------------


@pytest.fixture(params=["hs_key", "ec_key", "ed_key"])
def any_key_verifier(
    request: pytest.FixtureRequest, policy: TokenPolicy, clock: ManualClock
) -> tuple[TokenIssuer, TokenVerifier, Key]:
    key: Key = request.getfixturevalue(request.param)
    ring = KeyRing((key,), ALL_ALGORITHMS)
    return TokenIssuer(ring, policy, clock), TokenVerifier(ring, policy, clock), key


def test_access_token_round_trip(
    any_key_verifier: tuple[TokenIssuer, TokenVerifier, Key],
) -> None:
    """A freshly issued access token verifies to exactly the claims issued,
    with every supported algorithm."""
    issuer, verifier, key = any_key_verifier
    issued = issuer.issue_access_token(subject="u_5b1e0c", role="admin", session_id="sess-1")
    claims = verifier.verify_access_token(issued.token)
    assert claims == issued.claims
    assert claims.kid == key.kid
    assert (claims.sub, claims.role, claims.sid) == ("u_5b1e0c", "admin", "sess-1")


def test_refresh_token_round_trip(
    any_key_verifier: tuple[TokenIssuer, TokenVerifier, Key],
) -> None:
    """A freshly issued refresh token verifies to exactly the claims issued."""
    issuer, verifier, key = any_key_verifier
    issued = issuer.issue_refresh_token(subject="u_5b1e0c", session_id="sess-1")
    claims = verifier.verify_refresh_token(issued.token)
    assert claims == issued.claims
    assert (claims.sub, claims.sid, claims.kid) == ("u_5b1e0c", "sess-1", key.kid)


def test_header_names_alg_kid_and_type(issuer: TokenIssuer, hs_key: Key) -> None:
    """Headers carry exactly alg (the key's), kid and typ (at+jwt per RFC 9068
    §2.1 for access, rt+jwt for refresh)."""
    access = issuer.issue_access_token(subject="u_1", role="user").token
    refresh = issuer.issue_refresh_token(subject="u_1", session_id="s").token
    assert _header_of(access) == {"alg": "HS256", "kid": hs_key.kid, "typ": ACCESS_TOKEN_TYPE}
    assert _header_of(refresh) == {"alg": "HS256", "kid": hs_key.kid, "typ": REFRESH_TOKEN_TYPE}
    assert ACCESS_TOKEN_TYPE == "at+jwt"
    assert REFRESH_TOKEN_TYPE == "rt+jwt"


def test_claims_are_minimal(issuer: TokenIssuer, policy: TokenPolicy) -> None:
    """An access token carries exactly iss, aud, sub, iat, nbf, exp, jti, role
    (+ sid when given); a refresh token the same with sid instead of role."""
    access = _claims_of(issuer.issue_access_token(subject="u_1", role="user").token)
    with_sid = _claims_of(
        issuer.issue_access_token(subject="u_1", role="user", session_id="s").token
    )
    refresh = _claims_of(issuer.issue_refresh_token(subject="u_1", session_id="s").token)
    assert set(access) == ACCESS_CLAIM_NAMES
    assert set(with_sid) == ACCESS_CLAIM_NAMES | {"sid"}
    assert set(refresh) == REFRESH_CLAIM_NAMES
    assert access["iat"] == access["nbf"] == NOW
    assert access["exp"] == NOW + policy.access_ttl
    assert refresh["exp"] == NOW + policy.refresh_ttl
    assert (access["iss"], access["aud"]) == (policy.issuer, policy.audience)
    assert refresh["aud"] == policy.refresh_audience != policy.audience


def test_jti_has_at_least_128_random_bits_and_is_unique(issuer: TokenIssuer) -> None:
    """Every jti decodes to ≥ 16 bytes and none repeats across 2,000 tokens."""
    jtis = [issuer.issue_access_token(subject="u_1", role="user").claims.jti for _ in range(1000)]
    jtis += [
        issuer.issue_refresh_token(subject="u_1", session_id="s").claims.jti for _ in range(1000)
    ]
    assert len(set(jtis)) == len(jtis)
    assert all(len(b64url_decode(jti)) >= 16 for jti in jtis)


def test_extra_claims_only_from_the_policy_allowlist(
    ring: KeyRing, policy: TokenPolicy, clock: ManualClock
) -> None:
    """Extra claims are carried only when the policy names them; others are
    refused at issue time."""
    allowing = dataclasses.replace(policy, extra_claims=frozenset({"tenant", "scopes"}))
    issuer = TokenIssuer(ring, allowing, clock)
    issued = issuer.issue_access_token(
        subject="u_1", role="user", extra={"tenant": "t-9", "scopes": ("read", "write")}
    )
    claims = TokenVerifier(ring, allowing, clock).verify_access_token(issued.token)
    assert dict(claims.extra) == {"tenant": "t-9", "scopes": ("read", "write")}
    assert _claims_of(issued.token)["scopes"] == ["read", "write"]
    with pytest.raises(InvalidClaimError):
        issuer.issue_access_token(subject="u_1", role="user", extra={"plan": "pro"})
    with pytest.raises(InvalidClaimError):
        TokenIssuer(ring, policy, clock).issue_access_token(
            subject="u_1", role="user", extra={"tenant": "t-9"}
        )


@pytest.mark.parametrize("subject", ["alice@example.com", "@", "a@b", "u_1@"])
def test_subject_that_looks_like_an_email_is_refused(subject: str, issuer: TokenIssuer) -> None:
    """``sub`` is an opaque id, never an email (pseudonymous tokens)."""
    with pytest.raises(InvalidClaimError):
        issuer.issue_access_token(subject=subject, role="user")
    with pytest.raises(InvalidClaimError):
        issuer.issue_refresh_token(subject=subject, session_id="s")


def test_subject_length_is_1_to_255(issuer: TokenIssuer) -> None:
    """Empty or over-long subjects are refused; 255 characters are fine."""
    assert issuer.issue_access_token(subject="s" * 255, role="user").claims.sub == "s" * 255
    for subject in ("", "s" * 256):
        with pytest.raises(InvalidClaimError):
            issuer.issue_access_token(subject=subject, role="user")


@pytest.mark.parametrize(
    "changes",
    [
        {"role": ""},
        {"role": "r" * 65},
        {"session_id": ""},
        {"session_id": "s" * 129},
        {"extra": {"tenant": 2**53 + 1}},
        {"extra": {"tenant": 1.5}},
        {"extra": {"tenant": None}},
        {"extra": {"tenant": ("a", 1)}},
    ],
    ids=[
        "empty-role",
        "long-role",
        "empty-sid",
        "long-sid",
        "huge-int",
        "float",
        "null",
        "mixed-list",
    ],
)
def test_issuer_never_signs_a_token_its_verifier_refuses(
    changes: dict[str, Any], ring: KeyRing, policy: TokenPolicy, clock: ManualClock
) -> None:
    """Issue and verify apply the same claim rules: a role, session id or extra
    claim the verifier would refuse is refused when issuing (InvalidClaimError),
    instead of producing a token that can never be used."""
    allowing = dataclasses.replace(policy, extra_claims=frozenset({"tenant"}))
    issuer = TokenIssuer(ring, allowing, clock)
    arguments: dict[str, Any] = {"subject": "u_1", "role": "user", **changes}
    with pytest.raises(InvalidClaimError):
        issuer.issue_access_token(**arguments)


@pytest.mark.parametrize("session_id", ["", "s" * 129], ids=["empty", "129-characters"])
def test_refresh_issuer_never_signs_a_token_its_verifier_refuses(
    session_id: str, issuer: TokenIssuer
) -> None:
    """A refresh-token family id the verifier would refuse (empty, over 128
    characters) is refused when issuing."""
    with pytest.raises(InvalidClaimError):
        issuer.issue_refresh_token(subject="u_1", session_id=session_id)


# --- verification: signature-level refusals through the verifier ----------------


def test_tampered_claims_are_refused(access_token: str, verifier: TokenVerifier) -> None:
    """Changing any claim (here role → admin) breaks the signature."""
    header, _, signature = segments(access_token)
    claims = _claims_of(access_token) | {"role": "admin"}
    bad = f"{header}.{b64url(json.dumps(claims, separators=(',', ':')).encode())}.{signature}"
    refuse(
        BadSignatureError,
        lambda: verifier.verify_access_token(bad),
        token=bad,
        secrets=[HS_SECRET],
        kids=[HS_KID],
        claims=["u_5b1e0c", claims["jti"]],
    )


@pytest.mark.parametrize("value", [None, 17, ["a.b.c"], b"\xff" * 10, "not a token"])
def test_verifier_refuses_non_tokens(value: object, verifier: TokenVerifier) -> None:
    """Non-strings, non-ASCII bytes and plain text are malformed, never a crash."""
    refuse(MalformedTokenError, lambda: verifier.verify_access_token(as_any(value)))
    refuse(MalformedTokenError, lambda: verifier.verify_refresh_token(as_any(value)))


def test_verifier_accepts_ascii_bytes(access_token: str, verifier: TokenVerifier) -> None:
    """A token given as ASCII bytes verifies like the string."""
    assert verifier.verify_access_token(access_token.encode()).sub == "u_5b1e0c"


def test_verifier_uses_the_policy_size_cap(
    ring: KeyRing, policy: TokenPolicy, clock: ManualClock, access_token: str
) -> None:
    """``policy.max_token_bytes`` is the cap the verifier applies."""
    small = dataclasses.replace(policy, max_token_bytes=256)
    assert len(access_token) > 256
    refuse(
        TokenTooLargeError,
        lambda: TokenVerifier(ring, small, clock).verify_access_token(access_token),
        token=access_token,
    )


# --- token type ----------------------------------------------------------------


def test_refresh_token_is_not_an_access_token(issuer: TokenIssuer, verifier: TokenVerifier) -> None:
    """A refresh token presented as an access token is refused by type."""
    token = issuer.issue_refresh_token(subject="u_1", session_id="s").token
    refuse(WrongTokenTypeError, lambda: verifier.verify_access_token(token), token=token)


def test_access_token_is_not_a_refresh_token(access_token: str, verifier: TokenVerifier) -> None:
    """An access token presented as a refresh token is refused by type."""
    refuse(
        WrongTokenTypeError, lambda: verifier.verify_refresh_token(access_token), token=access_token
    )


@pytest.mark.parametrize("typ", [..., "JWT", "at+JWT", "application/at+jwt", None, 1])
def test_missing_or_other_typ_is_refused(
    typ: object, hs_key: Key, policy: TokenPolicy, verifier: TokenVerifier
) -> None:
    """Only ``typ: at+jwt`` is an access token: plain JWTs from other issuers
    sharing the key are refused."""
    token = forge(access_header(hs_key, typ=typ), access_claims(policy), hs_key)
    refuse(WrongTokenTypeError, lambda: verifier.verify_access_token(token), token=token)


def test_refresh_audience_is_refused_even_with_access_type(
    hs_key: Key, policy: TokenPolicy, verifier: TokenVerifier
) -> None:
    """Second line of defence: a token typed at+jwt but addressed to the refresh
    audience is still refused by audience."""
    claims = access_claims(policy, aud=policy.refresh_audience)
    token = forge(access_header(hs_key), claims, hs_key)
    refuse(InvalidAudienceError, lambda: verifier.verify_access_token(token), token=token)


# --- revocation -----------------------------------------------------------------


def test_revoked_jti_is_refused_and_others_are_not(
    issuer: TokenIssuer, verifier: TokenVerifier, revocations: MemoryRevocationList
) -> None:
    """Revoking one jti refuses that token only."""
    revoked = issuer.issue_access_token(subject="u_1", role="user")
    other = issuer.issue_access_token(subject="u_1", role="user")
    revocations.revoke(revoked.claims.jti, revoked.claims.exp)
    refuse(
        RevokedTokenError,
        lambda: verifier.verify_access_token(revoked.token),
        token=revoked.token,
        claims=[revoked.claims.jti],
    )
    assert verifier.verify_access_token(other.token).jti == other.claims.jti


def test_revocation_entry_lives_exactly_until_the_token_is_expired(
    issuer: TokenIssuer,
    verifier: TokenVerifier,
    revocations: MemoryRevocationList,
    clock: ManualClock,
) -> None:
    """Until exp + leeway the token is refused as revoked; from then on it is
    refused as expired and its entry has been pruned (the list shrinks)."""
    issued = issuer.issue_access_token(subject="u_1", role="user")
    revocations.revoke(issued.claims.jti, issued.claims.exp)
    assert len(revocations) == 1
    clock.set(issued.claims.exp + 29)
    refuse(RevokedTokenError, lambda: verifier.verify_access_token(issued.token))
    revocations.prune(clock.now())
    assert len(revocations) == 1
    clock.set(issued.claims.exp + 30)
    refuse(ExpiredTokenError, lambda: verifier.verify_access_token(issued.token))
    revocations.revoke("jti-of-another-token", clock.now() + 900)  # pruning is amortised here
    assert len(revocations) == 1
    assert revocations.is_revoked(issued.claims.jti) is False


def test_refresh_tokens_do_not_consult_the_access_revocation_list(
    issuer: TokenIssuer, verifier: TokenVerifier, revocations: MemoryRevocationList
) -> None:
    """Refresh tokens are revoked by family in the session store, not by jti here."""
    issued = issuer.issue_refresh_token(subject="u_1", session_id="s")
    revocations.revoke(issued.claims.jti, issued.claims.exp)
    assert verifier.verify_refresh_token(issued.token).jti == issued.claims.jti
