"""RFC 7515 Appendix A.1: the HS256 example JWS, at the signature layer.

The example has no ``kid`` and a header that is not authgate's (``typ: JWT``,
CRLF inside the JSON), so it is verified through a ring whose ``kidless_kid``
names the A.1 key.  Whether such a token is *accepted* is the policy's
decision: under a normal TokenPolicy it is refused.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from authgate.core import (
    Key,
    KeyRing,
    ManualClock,
    TokenError,
    TokenPolicy,
    TokenVerifier,
    WrongTokenTypeError,
    jws,
)
from authgate.core.claims import parse_access_claims
from authgate.core.errors import InvalidClaimError

VECTOR: dict[str, Any] = json.loads(
    (Path(__file__).parent / "rfc7515_a1.json").read_text(encoding="utf-8")
)
KID = "rfc7515-a1"


def _b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


@pytest.fixture(scope="module")
def key() -> Key:
    return Key(kid=KID, alg="HS256", material=_b64url_decode(VECTOR["jwk"]["k"]))


@pytest.fixture(scope="module")
def ring(key: Key) -> KeyRing:
    return KeyRing((key,), kidless_kid=KID)


def test_vector_file_is_the_rfc_example() -> None:
    """The stored vector is internally consistent: its compact form encodes the
    printed header and payload octets, and its MAC is the RFC's octet list."""
    header, payload, signature = VECTOR["compact"].split(".")
    assert _b64url_decode(header) == VECTOR["protected_header"].encode()
    assert _b64url_decode(payload) == VECTOR["payload"].encode()
    assert list(_b64url_decode(signature)) == VECTOR["hmac_octets"]
    assert len(_b64url_decode(VECTOR["jwk"]["k"])) == 64


def test_rfc_7515_a1_verifies_at_the_signature_layer(ring: KeyRing, key: Key) -> None:
    """The A.1 token verifies with the A.1 key; the payload bytes are exactly
    the RFC's (CRLFs included) and the header is returned as parsed."""
    verified = jws.verify(VECTOR["compact"], ring)
    assert verified.payload == VECTOR["payload"].encode()
    assert verified.header == {"typ": "JWT", "alg": "HS256"}
    assert verified.key is key


def test_kid_less_rfc_token_needs_kidless_kid(key: Key) -> None:
    """Without ``kidless_kid`` the same token is refused (it names no key)."""
    with pytest.raises(TokenError):
        jws.verify(VECTOR["compact"], KeyRing((key,)))


def _bit_flips(compact: str) -> list[str]:
    variants = []
    for position, character in enumerate(compact):
        for bit in range(8):
            changed = chr(ord(character) ^ (1 << bit))
            variants.append(compact[:position] + changed + compact[position + 1 :])
    return variants


def test_any_one_bit_change_of_the_compact_form_fails(ring: KeyRing) -> None:
    """Flipping any single bit of any character of the compact serialisation
    (8 per character) makes verification fail."""
    variants = _bit_flips(VECTOR["compact"])
    assert len(variants) == 8 * len(VECTOR["compact"])
    for variant in variants:
        with pytest.raises(TokenError):
            jws.verify(variant, ring)


def test_any_one_bit_change_of_the_signed_octets_fails(ring: KeyRing) -> None:
    """Flipping any single bit of the header, payload or MAC octets (then
    re-encoding) makes verification fail."""
    parts = VECTOR["compact"].split(".")
    count = 0
    for index, part in enumerate(parts):
        raw = _b64url_decode(part)
        for bit in range(8 * len(raw)):
            flipped = bytearray(raw)
            flipped[bit // 8] ^= 1 << (bit % 8)
            encoded = base64.urlsafe_b64encode(bytes(flipped)).rstrip(b"=").decode()
            variant = ".".join([*parts[:index], encoded, *parts[index + 1 :]])
            with pytest.raises(TokenError):
                jws.verify(variant, ring)
            count += 1
    assert count == 8 * (30 + 70 + 32)


def test_policy_refuses_the_rfc_token(ring: KeyRing) -> None:
    """A normal TokenPolicy refuses the RFC token although its signature holds:
    its ``typ`` is plain JWT, and its claims lack aud/sub/iat/nbf/jti/role and
    carry an unknown claim."""
    policy = TokenPolicy(issuer="joe", audience="https://api.example.test")
    clock = ManualClock(1_300_819_380 - 60)
    verifier = TokenVerifier(ring, policy, clock)
    with pytest.raises(WrongTokenTypeError):
        verifier.verify_access_token(VECTOR["compact"])
    with pytest.raises(WrongTokenTypeError):
        verifier.verify_refresh_token(VECTOR["compact"])
    payload = jws.parse_json_object(jws.verify(VECTOR["compact"], ring).payload, "payload")
    with pytest.raises(InvalidClaimError):
        parse_access_claims(payload, policy, clock.now(), KID)
