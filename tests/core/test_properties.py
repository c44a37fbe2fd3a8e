"""Property-based checks: every round trip holds, every single-character change fails."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authgate.core import (
    Key,
    KeyRing,
    ManualClock,
    TokenError,
    TokenIssuer,
    TokenPolicy,
    TokenVerifier,
    jws,
)

from ._support import ALL_ALGORITHMS, ALPHABET, HS_SECRET, NOW, assert_no_leak

EXTRA = frozenset({"tenant", "level", "beta", "scopes"})
POLICY = TokenPolicy(
    issuer="https://auth.example.test", audience="https://api.example.test", extra_claims=EXTRA
)
CLOCK = ManualClock(NOW)
KEYS = {
    "HS256": Key(kid="kid-hs", alg="HS256", material=HS_SECRET),
    "ES256": Key(kid="kid-ec", alg="ES256", material=ec.generate_private_key(ec.SECP256R1())),
    "EdDSA": Key(kid="kid-ed", alg="EdDSA", material=ed25519.Ed25519PrivateKey.generate()),
}
RINGS = {alg: KeyRing((key,), ALL_ALGORITHMS) for alg, key in KEYS.items()}
TOKENS = {
    alg: TokenIssuer(ring, POLICY, CLOCK)
    .issue_access_token(subject="u_5b1e0c", role="user", session_id="sess-1", extra={"tenant": "t"})
    .token
    for alg, ring in RINGS.items()
}
MUTATION_CHARACTERS = ALPHABET + ".= \n"
PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

subjects = st.text(min_size=1, max_size=255).filter(lambda s: "@" not in s)
roles = st.text(min_size=1, max_size=64)
session_ids = st.none() | st.text(min_size=1, max_size=128)
extra_values = st.fixed_dictionaries(
    {},
    optional={
        "tenant": st.text(max_size=40),
        "level": st.integers(min_value=-(2**53), max_value=2**53),
        "beta": st.booleans(),
        "scopes": st.lists(st.text(max_size=20), max_size=5).map(tuple),
    },
)


@PROPERTY_SETTINGS
@given(
    alg=st.sampled_from(sorted(KEYS)),
    subject=subjects,
    role=roles,
    session_id=session_ids,
    extra=extra_values,
)
def test_issue_verify_round_trip(
    alg: str, subject: str, role: str, session_id: str | None, extra: dict[str, Any]
) -> None:
    """Any opaque subject, role, session id and allowed extra claims survive
    issue → verify unchanged, with every algorithm."""
    ring = RINGS[alg]
    issued = TokenIssuer(ring, POLICY, CLOCK).issue_access_token(
        subject=subject, role=role, session_id=session_id, extra=extra
    )
    claims = TokenVerifier(ring, POLICY, CLOCK).verify_access_token(issued.token)
    assert claims == issued.claims
    assert (claims.sub, claims.role, claims.sid) == (subject, role, session_id)
    assert dict(claims.extra) == extra


@PROPERTY_SETTINGS
@given(subject=subjects, session_id=st.text(min_size=1, max_size=128))
def test_refresh_round_trip(subject: str, session_id: str) -> None:
    """Refresh tokens round-trip for any opaque subject and family id."""
    ring = RINGS["HS256"]
    issued = TokenIssuer(ring, POLICY, CLOCK).issue_refresh_token(
        subject=subject, session_id=session_id
    )
    assert TokenVerifier(ring, POLICY, CLOCK).verify_refresh_token(issued.token) == issued.claims


@st.composite
def single_character_changes(draw: st.DrawFn, token: str) -> str:
    """``token`` with one character replaced, deleted or inserted."""
    position = draw(st.integers(min_value=0, max_value=len(token) - 1))
    operation = draw(st.sampled_from(["replace", "delete", "insert", "append"]))
    if operation == "delete":
        return token[:position] + token[position + 1 :]
    character = draw(st.sampled_from(MUTATION_CHARACTERS))
    if operation == "insert":
        return token[:position] + character + token[position:]
    if operation == "append":
        return token + character
    if character == token[position]:
        character = MUTATION_CHARACTERS[(MUTATION_CHARACTERS.index(character) + 1) % 68]
    return token[:position] + character + token[position + 1 :]


@pytest.mark.parametrize("alg", sorted(KEYS))
@PROPERTY_SETTINGS
@given(data=st.data())
def test_any_single_character_change_is_refused(alg: str, data: st.DataObject) -> None:
    """Replacing, deleting or inserting any one character anywhere — base64url
    alphabet, '.', '=', ' ' or newline — makes the token fail, cleanly."""
    token = TOKENS[alg]
    verifier = TokenVerifier(RINGS[alg], POLICY, CLOCK)
    changed = data.draw(single_character_changes(token))
    assert changed != token
    with pytest.raises(TokenError) as info:
        verifier.verify_access_token(changed)
    assert_no_leak(info.value, token=changed, secrets=[HS_SECRET])


def test_the_mutated_tokens_are_valid_to_begin_with() -> None:
    """Control for the mutation tests: the unmodified tokens verify."""
    for alg, token in TOKENS.items():
        assert TokenVerifier(RINGS[alg], POLICY, CLOCK).verify_access_token(token).sid == "sess-1"


def test_every_single_character_replacement_is_refused_exhaustively() -> None:
    """Exhaustive version for HS256: each position x each of the 67 other
    characters (alphabet, '.', '=', ' ', newline) — every variant is refused at
    the signature layer.  Covers the unused low bits of each segment's last
    character as well."""
    token, ring = TOKENS["HS256"], RINGS["HS256"]
    tried = 0
    for position, original in enumerate(token):
        for character in MUTATION_CHARACTERS:
            if character == original:
                continue
            changed = token[:position] + character + token[position + 1 :]
            with pytest.raises(TokenError) as info:
                jws.verify(changed, ring)
            assert_no_leak(info.value, token=changed, secrets=[HS_SECRET])
            tried += 1
    assert tried == len(token) * (len(MUTATION_CHARACTERS) - 1)


def test_every_prefix_is_refused() -> None:
    """No truncation of a valid token (down to the empty string) verifies."""
    token, ring = TOKENS["ES256"], RINGS["ES256"]
    for end in range(len(token)):
        with pytest.raises(TokenError) as info:
            jws.verify(token[:end], ring)
        assert_no_leak(info.value, token=token[:end])


@pytest.mark.parametrize("alg", sorted(KEYS))
def test_bit_flips_in_decoded_segments_are_refused(alg: str) -> None:
    """Flipping any single bit of the decoded header, payload or signature and
    re-encoding canonically is refused."""
    token, ring = TOKENS[alg], RINGS[alg]
    parts = token.split(".")
    for index, part in enumerate(parts):
        raw = jws._b64url_decode(part)
        for bit in range(len(raw) * 8):
            flipped = bytearray(raw)
            flipped[bit // 8] ^= 1 << (bit % 8)
            changed = ".".join([*parts[:index], jws.b64url(bytes(flipped)), *parts[index + 1 :]])
            with pytest.raises(TokenError) as info:
                jws.verify(changed, ring)
            assert_no_leak(info.value, token=changed, secrets=[HS_SECRET])


CLAIM_NAMES = ["iss", "aud", "sub", "iat", "nbf", "exp", "jti", "role", "sid", "tenant", "scopes"]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from([NOW, NOW + 900, POLICY.issuer, POLICY.audience, "at+jwt", "kid-hs"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
claim_sets = st.dictionaries(st.sampled_from(CLAIM_NAMES) | st.text(max_size=8), json_values)
headers = st.fixed_dictionaries(
    {"alg": st.just("HS256") | json_values},
    optional={"kid": st.just("kid-hs") | json_values, "typ": st.just("at+jwt") | json_values},
)


@PROPERTY_SETTINGS
@given(header=headers, claims=claim_sets)
def test_any_signed_json_either_verifies_or_is_a_token_error(
    header: dict[str, Any], claims: dict[str, Any]
) -> None:
    """Whatever JSON header and claims an insider signs, the verifier answers
    with claims or a ``TokenError`` — never another exception (a 500)."""
    key = KEYS["HS256"]
    signing_input = (
        jws.b64url(json.dumps(header).encode()) + "." + jws.b64url(json.dumps(claims).encode())
    )
    token = signing_input + "." + jws.b64url(key.sign(signing_input.encode()))
    verifier = TokenVerifier(RINGS["HS256"], POLICY, CLOCK)
    for verify in (verifier.verify_access_token, verifier.verify_refresh_token):
        try:
            verify(token)
        except TokenError as err:
            assert_no_leak(err, token=token, secrets=[HS_SECRET], kids=["kid-hs"])
