"""Verifying claims after the signature: time windows, issuer, audience, exact types."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest

from authgate.core import (
    REFRESH_TOKEN_TYPE,
    ExpiredTokenError,
    InvalidAudienceError,
    InvalidClaimError,
    InvalidIssuerError,
    Key,
    KeyRing,
    KeyState,
    MalformedTokenError,
    ManualClock,
    NotYetValidError,
    TokenIssuer,
    TokenPolicy,
    TokenVerifier,
    UnknownKeyError,
)

from ._support import (
    NOW,
    access_claims,
    access_header,
    b64url_decode,
    forge,
    forge_raw,
    refresh_claims,
    refuse,
    segments,
)

ACCESS_CLAIM_NAMES = {"iss", "aud", "sub", "iat", "nbf", "exp", "jti", "role"}
REFRESH_CLAIM_NAMES = {"iss", "aud", "sub", "iat", "nbf", "exp", "jti", "sid"}


def _claims_of(token: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(b64url_decode(segments(token)[1]))
    return payload


# --- time --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after_exp", "accepted"),
    [(-1, True), (0, True), (29, True), (30, False), (31, False)],
)
def test_expiry_with_30_second_leeway(
    after_exp: int, accepted: bool, access_token: str, verifier: TokenVerifier, clock: ManualClock
) -> None:
    """Expired by 29 s still passes (leeway 30); by 31 s it is refused.  At
    exactly exp + leeway the token is refused: validity is the half-open
    interval [nbf - leeway, exp + leeway) (RFC 7519 §4.1.4: "on or after")."""
    exp = _claims_of(access_token)["exp"]
    clock.set(exp + after_exp)
    if accepted:
        assert verifier.verify_access_token(access_token).exp == exp
    else:
        refuse(
            ExpiredTokenError,
            lambda: verifier.verify_access_token(access_token),
            token=access_token,
        )


@pytest.mark.parametrize(("early", "accepted"), [(29, True), (30, True), (31, False)])
def test_iat_and_nbf_in_the_future_with_30_second_leeway(
    early: int, accepted: bool, access_token: str, verifier: TokenVerifier, clock: ManualClock
) -> None:
    """A token whose iat/nbf lie 29 or 30 s ahead of the verifier's clock passes
    (skew within leeway); 31 s ahead it is not yet valid."""
    clock.set(NOW - early)
    if accepted:
        assert verifier.verify_access_token(access_token).iat == NOW
    else:
        refuse(NotYetValidError, lambda: verifier.verify_access_token(access_token))


@pytest.mark.parametrize(("ahead", "accepted"), [(29, True), (30, True), (31, False)])
def test_nbf_alone_in_the_future(
    ahead: int, accepted: bool, hs_key: Key, policy: TokenPolicy, verifier: TokenVerifier
) -> None:
    """``nbf`` is checked on its own, not only through ``iat``."""
    token = forge(access_header(hs_key), access_claims(policy, nbf=NOW + ahead), hs_key)
    if accepted:
        assert verifier.verify_access_token(token).nbf == NOW + ahead
    else:
        refuse(NotYetValidError, lambda: verifier.verify_access_token(token), token=token)


def test_iat_far_in_the_future_is_not_yet_valid(
    hs_key: Key, policy: TokenPolicy, verifier: TokenVerifier
) -> None:
    """A token claiming to be issued 31 s from now is refused."""
    claims = access_claims(policy, iat=NOW + 31, nbf=NOW + 31, exp=NOW + 31 + policy.access_ttl)
    token = forge(access_header(hs_key), claims, hs_key)
    refuse(NotYetValidError, lambda: verifier.verify_access_token(token), token=token)


@pytest.mark.parametrize(("extra_seconds", "accepted"), [(0, True), (1, False)])
def test_lifetime_longer_than_policy_is_refused(
    extra_seconds: int, accepted: bool, hs_key: Key, policy: TokenPolicy, verifier: TokenVerifier
) -> None:
    """exp - iat may be at most the policy's lifetime for that token kind: a
    stolen key cannot mint long-lived tokens that pass."""
    claims = access_claims(policy, exp=NOW + policy.access_ttl + extra_seconds)
    token = forge(access_header(hs_key), claims, hs_key)
    if accepted:
        assert verifier.verify_access_token(token).exp == NOW + policy.access_ttl
    else:
        refuse(InvalidClaimError, lambda: verifier.verify_access_token(token), token=token)


@pytest.mark.parametrize(
    ("changes", "now"),
    [
        ({"nbf": NOW - 1}, NOW),
        ({"nbf": NOW + 900}, NOW + 890),
        ({"exp": NOW}, NOW - 5),
        ({"exp": NOW - 1}, NOW - 5),
    ],
    ids=["nbf-before-iat", "nbf-at-exp", "exp-at-iat", "exp-before-iat"],
)
def test_inconsistent_times_are_refused(
    changes: dict[str, int], now: int, hs_key: Key, policy: TokenPolicy, clock: ManualClock
) -> None:
    """iat ≤ nbf < exp must hold, even at an instant where each time on its
    own would pass the expiry and not-before checks."""
    clock.set(now)
    verifier = TokenVerifier(KeyRing((hs_key,)), policy, clock)
    token = forge(access_header(hs_key), access_claims(policy, **changes), hs_key)
    refuse(InvalidClaimError, lambda: verifier.verify_access_token(token), token=token)


# --- issuer and audience ------------------------------------------------------


@pytest.mark.parametrize(
    "iss", ["https://evil.example.test", "https://auth.example.test/", "HTTPS://AUTH.EXAMPLE.TEST"]
)
def test_wrong_issuer_is_refused(
    iss: str, hs_key: Key, policy: TokenPolicy, verifier: TokenVerifier
) -> None:
    """``iss`` must equal the configured issuer exactly."""
    token = forge(access_header(hs_key), access_claims(policy, iss=iss), hs_key)
    refuse(
        InvalidIssuerError, lambda: verifier.verify_access_token(token), token=token, claims=[iss]
    )


@pytest.mark.parametrize(
    "aud",
    [
        "https://other-api.example.test",
        ["https://other-api.example.test"],
        ["https://other-api.example.test", "https://auth.example.test#refresh"],
    ],
    ids=["string", "list", "list-with-refresh-audience"],
)
def test_wrong_audience_is_refused(
    aud: str | list[str], hs_key: Key, policy: TokenPolicy, verifier: TokenVerifier
) -> None:
    """``aud`` (string or list) must name this API."""
    token = forge(access_header(hs_key), access_claims(policy, aud=aud), hs_key)
    refuse(InvalidAudienceError, lambda: verifier.verify_access_token(token), token=token)


def test_audience_list_naming_this_api_is_accepted(
    hs_key: Key, policy: TokenPolicy, verifier: TokenVerifier
) -> None:
    """RFC 7519 §4.1.3: a list of audiences is fine if it contains ours."""
    aud = ["https://other-api.example.test", policy.audience]
    token = forge(access_header(hs_key), access_claims(policy, aud=aud), hs_key)
    assert verifier.verify_access_token(token).aud == policy.audience


@pytest.mark.parametrize("aud", [[], [1], None, 7, {"a": 1}, [["x"]]])
def test_malformed_audience_is_an_invalid_claim(
    aud: object, hs_key: Key, policy: TokenPolicy, verifier: TokenVerifier
) -> None:
    """An empty list, non-strings or null as ``aud`` is an invalid claim."""
    token = forge(access_header(hs_key), access_claims(policy, aud=aud), hs_key)
    refuse(InvalidClaimError, lambda: verifier.verify_access_token(token), token=token)


# --- payload shape and claim types -------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        b"[]",
        b"1",
        b'"claims"',
        b"null",
        b"true",
        b"not json",
        b"\xff",
        b"{}{}",
        b"NaN",
        b"[" * 2000,
    ],
    ids=["array", "number", "string", "null", "bool", "text", "binary", "two", "nan", "deep"],
)
def test_payload_that_is_not_a_json_object_is_malformed(
    payload: bytes, hs_key: Key, verifier: TokenVerifier
) -> None:
    """A validly signed payload must still be one JSON object."""
    token = forge(access_header(hs_key), payload, hs_key)
    refuse(MalformedTokenError, lambda: verifier.verify_access_token(token), token=token)


def test_duplicate_claims_are_malformed(
    hs_key: Key, policy: TokenPolicy, verifier: TokenVerifier
) -> None:
    """Duplicate claim names are refused, not resolved last-wins."""
    payload = json.dumps(access_claims(policy))
    payload = payload[:-1] + ', "sub": "u_admin"}'
    token = forge_raw(json.dumps(access_header(hs_key)).encode(), payload.encode(), hs_key)
    refuse(MalformedTokenError, lambda: verifier.verify_access_token(token), token=token)


WRONG_TYPES: list[tuple[str, object]] = [
    ("exp", "1800000900"),
    ("exp", 1800000900.0),
    ("exp", 1800000900.5),
    ("exp", 2**64),
    ("exp", True),
    ("exp", -1),
    ("exp", None),
    ("exp", [1800000900]),
    ("iat", True),
    ("iat", -1),
    ("iat", "1800000000"),
    ("nbf", False),
    ("nbf", 1.8e9),
    ("sub", ""),
    ("sub", 42),
    ("sub", ["u_1"]),
    ("sub", "s" * 256),
    ("jti", ""),
    ("jti", 7),
    ("jti", "j" * 129),
    ("iss", 1),
    ("role", ""),
    ("role", None),
    ("role", ["admin"]),
    ("sid", ""),
    ("sid", 1),
]


@pytest.mark.parametrize(
    ("name", "value"), WRONG_TYPES, ids=[f"{n}={v!r}"[:40] for n, v in WRONG_TYPES]
)
def test_claims_of_the_wrong_type_are_invalid(
    name: str, value: object, hs_key: Key, policy: TokenPolicy, verifier: TokenVerifier
) -> None:
    """Claims have exact JSON types: NumericDates are non-negative integers (no
    strings, floats, booleans or 2**64), strings are non-empty and bounded."""
    token = forge(access_header(hs_key), access_claims(policy, **{name: value}), hs_key)
    refuse(InvalidClaimError, lambda: verifier.verify_access_token(token), token=token)


@pytest.mark.parametrize("name", sorted(ACCESS_CLAIM_NAMES))
def test_each_required_access_claim_is_required(
    name: str, hs_key: Key, policy: TokenPolicy, verifier: TokenVerifier
) -> None:
    """Removing any one required claim (iss, aud, sub, exp, nbf, iat, jti, role)
    makes the token invalid."""
    token = forge(access_header(hs_key), access_claims(policy, **{name: ...}), hs_key)
    refuse(InvalidClaimError, lambda: verifier.verify_access_token(token), token=token)


@pytest.mark.parametrize("name", sorted(REFRESH_CLAIM_NAMES))
def test_each_required_refresh_claim_is_required(
    name: str, hs_key: Key, policy: TokenPolicy, verifier: TokenVerifier
) -> None:
    """Removing any one refresh claim (… and sid) makes the token invalid."""
    claims = refresh_claims(policy, **{name: ...})
    token = forge(access_header(hs_key, typ=REFRESH_TOKEN_TYPE), claims, hs_key)
    refuse(InvalidClaimError, lambda: verifier.verify_refresh_token(token), token=token)


@pytest.mark.parametrize(
    ("kind", "name", "value"),
    [
        ("access", "tenant", "t-1"),
        ("access", "admin", True),
        ("access", "scope", "openid"),
        ("refresh", "role", "admin"),
        ("refresh", "tenant", "t-1"),
    ],
)
def test_claims_authgate_did_not_put_there_are_invalid(
    kind: str, name: str, value: object, hs_key: Key, policy: TokenPolicy, verifier: TokenVerifier
) -> None:
    """A validly signed token with any claim outside the policy is refused
    (minimal claims; nothing smuggled in by another issuer sharing the key)."""
    verify: Callable[[str], object]
    if kind == "access":
        token = forge(access_header(hs_key), access_claims(policy, **{name: value}), hs_key)
        verify = verifier.verify_access_token
    else:
        claims = refresh_claims(policy, **{name: value})
        token = forge(access_header(hs_key, typ=REFRESH_TOKEN_TYPE), claims, hs_key)
        verify = verifier.verify_refresh_token
    refuse(InvalidClaimError, lambda: verify(token), token=token)


def test_verification_with_retired_key_is_refused(
    hs_key: Key, policy: TokenPolicy, clock: ManualClock, issuer: TokenIssuer
) -> None:
    """Once its key is retired, a still-unexpired token is refused."""
    token = issuer.issue_access_token(subject="u_1", role="user").token
    other = Key(kid="kid-new", alg="HS256", material=bytes(range(32)), created_at=NOW)
    ring = KeyRing((other, dataclasses.replace(hs_key, state=KeyState.RETIRED)))
    refuse(UnknownKeyError, lambda: TokenVerifier(ring, policy, clock).verify_access_token(token))
