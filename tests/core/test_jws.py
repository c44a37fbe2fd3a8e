"""The signature layer: size cap → exact syntax → header → kid → key's alg → signature."""

from __future__ import annotations

import base64
import dataclasses
import json
from functools import partial

import pytest
from cryptography.hazmat.primitives import serialization

from authgate.core import (
    BadSignatureError,
    Key,
    KeyRing,
    KeyState,
    MalformedTokenError,
    TokenPolicy,
    TokenTooLargeError,
    TokenVerifier,
    UnknownKeyError,
    jws,
)

from ._support import (
    ALL_ALGORITHMS,
    ALPHABET,
    HS_KID,
    HS_SECRET,
    access_claims,
    access_header,
    as_any,
    b64url,
    b64url_decode,
    forge,
    forge_hs256,
    forge_raw,
    refuse,
    segments,
)

NONE_SPELLINGS = ["none", "None", "NONE", "nOnE"]
PAYLOAD = b'{"sub":"u_5b1e0c","role":"user"}'


@pytest.fixture
def mixed_ring(hs_key: Key, ec_key: Key, ed_key: Key) -> KeyRing:
    """HS256 active; ES256 and EdDSA verify-only (keys keep private halves)."""
    return KeyRing(
        (
            hs_key,
            dataclasses.replace(ec_key, state=KeyState.VERIFY_ONLY),
            dataclasses.replace(ed_key, state=KeyState.VERIFY_ONLY),
        ),
        ALL_ALGORITHMS,
    )


@pytest.fixture
def token(hs_key: Key) -> str:
    return forge(access_header(hs_key), PAYLOAD, hs_key)


# --- round trip ----------------------------------------------------------------


@pytest.mark.parametrize("which", ["hs_key", "ec_key", "ed_key"])
def test_sign_then_verify_returns_header_raw_payload_and_key(
    which: str, request: pytest.FixtureRequest, mixed_ring: KeyRing
) -> None:
    """What ``sign`` produced verifies under the kid's key, with the payload
    returned as the exact signed bytes (parsing it is the caller's job)."""
    key: Key = request.getfixturevalue(which)
    header = access_header(key)
    verified = jws.verify(jws.sign(header, PAYLOAD, key), mixed_ring)
    assert verified.header == header
    assert verified.payload == PAYLOAD
    assert verified.key.kid == key.kid


def test_bytes_token_verifies_like_its_text(token: str, ring: KeyRing) -> None:
    """An ASCII ``bytes`` token is accepted like the same ``str``."""
    assert jws.verify(token.encode("ascii"), ring).payload == PAYLOAD


# --- size ----------------------------------------------------------------------


def test_size_cap_is_8192_inclusive(ring: KeyRing) -> None:
    """8192 characters reach the parser (and fail there); 8193 never do."""
    refuse(MalformedTokenError, lambda: jws.verify("a" * 8192, ring))
    refuse(TokenTooLargeError, lambda: jws.verify("a" * 8193, ring))
    refuse(MalformedTokenError, lambda: jws.verify(b"a" * 8192, ring))
    refuse(TokenTooLargeError, lambda: jws.verify(b"a" * 8193, ring))


@pytest.mark.parametrize(
    "garbage",
    [b"\xff" * 9000, bytes(range(256)) * 36, "x" * 9000, "{" * 9000, ".".join(["eyJ"] * 3000)],
    ids=["non-ascii-bytes", "all-bytes", "letters", "braces", "dots"],
)
def test_oversized_garbage_is_too_large_not_malformed(garbage: str | bytes, ring: KeyRing) -> None:
    """Anything over the cap is refused as too large before any decoding,
    whatever it contains."""
    refuse(TokenTooLargeError, lambda: jws.verify(garbage, ring))


def test_oversized_token_is_refused_before_parsing(
    token: str, ring: KeyRing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No JSON parsing happens for an oversized token (here: a valid token with
    a padded signature segment)."""

    def _no_parsing(*_args: object) -> None:
        raise AssertionError("parsed an oversized token")

    monkeypatch.setattr(jws, "parse_json_object", _no_parsing)
    monkeypatch.setattr(jws, "_b64url_decode", _no_parsing)
    oversized = token + "A" * (8193 - len(token))
    refuse(TokenTooLargeError, lambda: jws.verify(oversized, ring), token=oversized)


def test_max_bytes_argument_lowers_the_cap(token: str, ring: KeyRing) -> None:
    """A caller-supplied cap applies exactly (``len == cap`` passes)."""
    assert jws.verify(token, ring, max_bytes=len(token)).payload == PAYLOAD
    refuse(TokenTooLargeError, lambda: jws.verify(token, ring, max_bytes=len(token) - 1))


# --- syntax --------------------------------------------------------------------


def _variants(token: str) -> dict[str, str]:
    header, payload, signature = segments(token)
    return {
        "empty": "",
        "one-segment": header,
        "two-segments": f"{header}.{payload}",
        "empty-signature": f"{header}.{payload}.",
        "empty-payload": f"{header}..{signature}",
        "empty-header": f".{payload}.{signature}",
        "four-segments": f"{token}.{signature}",
        "trailing-dot": f"{token}.",
        "padding": f"{header}.{payload}.{signature}=",
        "leading-space": f" {token}",
        "trailing-newline": f"{token}\n",
        "inner-space": f"{header}. {payload}.{signature}",
        "plus": f"{header}.{payload}.+{signature[1:]}",
        "slash": f"{header}.{payload}./{signature[1:]}",
        "bearer-prefix": f"Bearer {token}",
        "quoted": f'"{token}"',
        "unicode-digit": f"{header}.{payload}.{signature[:-1]}\u0661",
        "fullwidth": f"{header}.{payload}.\uff21{signature[1:]}",
        "json-serialisation": json.dumps(
            {"protected": header, "payload": payload, "signature": signature}
        ),
    }


@pytest.mark.parametrize("name", sorted(_variants("h.p.s")))
def test_anything_but_three_canonical_segments_is_malformed(
    name: str, token: str, ring: KeyRing
) -> None:
    """Only the compact form of three non-empty base64url segments is read:
    no padding, whitespace, prefixes, other alphabets or JSON serialisation."""
    bad = _variants(token)[name]
    refuse(MalformedTokenError, lambda: jws.verify(bad, ring), token=bad, secrets=[HS_SECRET])


def test_segment_length_one_mod_four_is_malformed(hs_key: Key, ring: KeyRing) -> None:
    """A segment of length ≡ 1 (mod 4) encodes no byte string at all."""
    header, payload, signature = segments(forge(access_header(hs_key), PAYLOAD, hs_key))
    bad = f"{header}.{payload}.{signature}AB"  # 43 + 2 = 45 ≡ 1 (mod 4)
    assert len(signature + "AB") % 4 == 1
    refuse(MalformedTokenError, lambda: jws.verify(bad, ring), token=bad)


def test_changed_unused_low_bits_of_a_final_character_are_refused(
    hs_key: Key, ed_key: Key, mixed_ring: KeyRing
) -> None:
    """Each segment has exactly one spelling: changing only the bits of its last
    character that encode nothing (lenient base64 decodes the same bytes) is
    refused as malformed, in header, payload and signature alike."""
    remainders: dict[int, set[int]] = {0: set(), 1: set(), 2: set()}
    for key in (hs_key, ed_key):
        for payload in (b'{"a":"b"}', b'{"a":"bc"}', b'{"a":"bcd"}'):
            parts = list(segments(forge(access_header(key), payload, key)))
            for index, part in enumerate(parts):
                remainder = len(part) % 4
                if remainder == 0:
                    continue
                remainders[index].add(remainder)
                unused = {2: 0x0F, 3: 0x03}[remainder]
                value = ALPHABET.index(part[-1])
                assert value & unused == 0, "authgate itself emits canonical base64url"
                for low in range(1, unused + 1):
                    altered_part = part[:-1] + ALPHABET[value | low]
                    assert b64url_decode(altered_part) == b64url_decode(part)
                    bad = ".".join([*parts[:index], altered_part, *parts[index + 1 :]])
                    refuse(MalformedTokenError, partial(jws.verify, bad, mixed_ring), token=bad)
    assert remainders[1] == {2, 3}  # payload
    assert remainders[2] == {2, 3}  # signature: HS256 43 chars, EdDSA 86 chars


# --- header --------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"[]", b"1", b'"alg"', b"null", b"true", b"not json", b"\xff\xfe", b"{", b"{}}"],
    ids=["array", "number", "string", "null", "bool", "text", "binary", "open", "extra"],
)
def test_header_that_is_not_a_json_object_is_malformed(
    raw: bytes, hs_key: Key, ring: KeyRing
) -> None:
    """The header must be one JSON object."""
    bad = forge_raw(raw, PAYLOAD, hs_key)
    refuse(MalformedTokenError, lambda: jws.verify(bad, ring), token=bad)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"alg":"HS256","alg":"HS256","kid":"kid-hs-7f3a9c2e"}',
        b'{"alg":"HS256","kid":"kid-other","kid":"kid-hs-7f3a9c2e"}',
        b'{"alg":"none","alg":"HS256","kid":"kid-hs-7f3a9c2e"}',
    ],
    ids=["same-alg-twice", "kid-twice", "alg-twice"],
)
def test_duplicate_header_members_are_malformed(raw: bytes, hs_key: Key, ring: KeyRing) -> None:
    """Duplicate member names are refused, not resolved last-wins: two parsers
    must never disagree about which key or algorithm a token names."""
    bad = forge_raw(raw, PAYLOAD, hs_key)
    refuse(MalformedTokenError, lambda: jws.verify(bad, ring), token=bad)


NOT_UTF8 = {
    "utf-16": lambda text: text.encode("utf-16"),
    "utf-16-le": lambda text: text.encode("utf-16-le"),
    "utf-32": lambda text: text.encode("utf-32"),
    "utf-8-bom": lambda text: text.encode("utf-8-sig"),
    "encoded-surrogate": lambda text: text.encode().replace(b'"}', b'\xed\xa0\x80"}'),
}


@pytest.mark.parametrize("encoding", sorted(NOT_UTF8))
def test_header_must_be_utf8_json(encoding: str, hs_key: Key, ring: KeyRing) -> None:
    """RFC 7515 §5.2 step 3: the header octets are UTF-8 JSON.  UTF-16/32,
    a BOM or invalid UTF-8 (encoded surrogates) is malformed, even when signed
    — otherwise two verifiers could read one token differently."""
    header = json.dumps(access_header(hs_key))
    bad = forge_raw(NOT_UTF8[encoding](header), PAYLOAD, hs_key)
    refuse(MalformedTokenError, lambda: jws.verify(bad, ring), token=bad)


@pytest.mark.parametrize("encoding", sorted(NOT_UTF8))
def test_payload_must_be_utf8_json(
    encoding: str, hs_key: Key, policy: TokenPolicy, verifier: TokenVerifier
) -> None:
    """RFC 7519 §7.2 step 10: the claims octets are UTF-8 JSON as well."""
    payload = json.dumps(access_claims(policy))
    bad = forge_raw(json.dumps(access_header(hs_key)).encode(), NOT_UTF8[encoding](payload), hs_key)
    refuse(MalformedTokenError, lambda: verifier.verify_access_token(bad), token=bad)


def test_deeply_nested_header_is_malformed_not_a_crash(hs_key: Key, ring: KeyRing) -> None:
    """Nesting deep enough to exhaust the JSON parser's recursion is a
    malformed token, never a ``RecursionError``."""
    bad = forge_raw(b"[" * 2900 + b"]" * 2900, b"{}", hs_key)
    assert len(bad) <= 8192
    refuse(MalformedTokenError, lambda: jws.verify(bad, ring), token=bad)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("jku", "https://attacker.example/jwks.json"),
        ("x5u", "https://attacker.example/cert.pem"),
        ("jwk", {"kty": "oct", "k": "QUFBQQ"}),
        ("x5c", ["MIIBIjAN"]),
        ("x5t", "dGh1bWI"),
        ("x5t#S256", "dGh1bWI"),
        ("crit", ["exp"]),
        ("b64", False),
        ("cty", "JWT"),
        ("zip", "DEF"),
        ("enc", "A256GCM"),
        ("url", "https://auth.example.test"),
        ("nonce", "n"),
    ],
)
def test_header_parameters_other_than_alg_kid_typ_are_malformed(
    name: str, value: object, hs_key: Key, ring: KeyRing
) -> None:
    """A header may only carry alg, kid and typ: key-bearing parameters would let
    the token choose its key, crit/b64/cty/zip change how it is processed.
    The signature is valid, so the header rule alone refuses it."""
    bad = forge(access_header(hs_key, **{name: value}), PAYLOAD, hs_key)
    refuse(MalformedTokenError, lambda: jws.verify(bad, ring), token=bad, secrets=[HS_SECRET])


@pytest.mark.parametrize("alg", [..., None, 256, ["HS256"]], ids=["missing", "null", "int", "list"])
def test_header_without_a_string_alg_is_malformed(alg: object, hs_key: Key, ring: KeyRing) -> None:
    """``alg`` is required and must be a string."""
    bad = forge(access_header(hs_key, alg=alg), PAYLOAD, hs_key)
    refuse(MalformedTokenError, lambda: jws.verify(bad, ring), token=bad)


# --- algorithm -----------------------------------------------------------------


@pytest.mark.parametrize("alg", NONE_SPELLINGS)
def test_alg_none_with_empty_signature_is_refused(alg: str, hs_key: Key, ring: KeyRing) -> None:
    """An unsigned token (``alg: none``, empty signature) is malformed."""
    header, payload, _ = segments(forge(access_header(hs_key, alg=alg), PAYLOAD, hs_key))
    bad = f"{header}.{payload}."
    refuse(MalformedTokenError, lambda: jws.verify(bad, ring), token=bad, kids=[HS_KID])


@pytest.mark.parametrize("alg", NONE_SPELLINGS)
@pytest.mark.parametrize("signature", ["valid-hmac", "garbage", "zero"])
def test_alg_none_with_any_signature_is_refused(
    alg: str, signature: str, hs_key: Key, ring: KeyRing
) -> None:
    """``alg: none`` is refused whatever stands in the signature segment, even
    the correct HMAC of the key the kid names."""
    bad = forge(access_header(hs_key, alg=alg), PAYLOAD, hs_key)
    header, payload, mac = segments(bad)
    replacement = {"valid-hmac": mac, "garbage": "c2lnbmF0dXJl", "zero": "AA"}[signature]
    bad = f"{header}.{payload}.{replacement}"
    refuse(BadSignatureError, lambda: jws.verify(bad, ring), token=bad, secrets=[HS_SECRET])


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "HS384", "HS512", "RS256", "PS256", "hs256"])
def test_hs256_kid_with_another_header_alg_is_refused(
    alg: str, hs_key: Key, mixed_ring: KeyRing
) -> None:
    """The kid's key decides the algorithm: a header naming any other one is a
    bad signature even though the MAC itself is right."""
    bad = forge(access_header(hs_key, alg=alg), PAYLOAD, hs_key)
    refuse(BadSignatureError, lambda: jws.verify(bad, mixed_ring), token=bad, secrets=[HS_SECRET])


@pytest.mark.parametrize(
    ("which", "alg"),
    [
        ("ec_key", "HS256"),
        ("ec_key", "EdDSA"),
        ("ec_key", "ES384"),
        ("ed_key", "HS256"),
        ("ed_key", "ES256"),
        ("ed_key", "Ed25519"),
    ],
)
def test_asymmetric_kid_with_another_header_alg_is_refused(
    which: str, alg: str, request: pytest.FixtureRequest, mixed_ring: KeyRing
) -> None:
    """An ES256/EdDSA token whose header names another algorithm is refused,
    though the signature is the key's own."""
    key: Key = request.getfixturevalue(which)
    bad = forge(access_header(key, alg=alg), PAYLOAD, key)
    refuse(BadSignatureError, lambda: jws.verify(bad, mixed_ring), token=bad)


@pytest.mark.parametrize("encoding", ["pem", "der", "point", "jwk"])
def test_hs256_token_keyed_with_es256_public_key_is_refused(
    encoding: str, ec_key: Key, mixed_ring: KeyRing
) -> None:
    """Key confusion: an attacker MACs an HS256 token with the public key of an
    ES256 kid (in any encoding); it is refused because that kid means ES256."""
    public = ec_key.material.public_key()  # type: ignore[union-attr]  # ES256 key object
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    secret = {
        "pem": public.public_bytes(serialization.Encoding.PEM, spki),
        "der": public.public_bytes(serialization.Encoding.DER, spki),
        "point": public.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        ),
        "jwk": json.dumps(ec_key.public_jwk()).encode(),
    }[encoding]
    bad = forge_hs256(access_header(ec_key, alg="HS256"), PAYLOAD, secret)
    refuse(BadSignatureError, lambda: jws.verify(bad, mixed_ring), token=bad, secrets=[secret])


# --- signature -----------------------------------------------------------------


def test_tampered_header_payload_or_signature_is_a_bad_signature(
    token: str, hs_key: Key, ring: KeyRing
) -> None:
    """Any change to what was signed, or to the signature, is refused."""
    header, payload, signature = segments(token)
    other_header = b64url(json.dumps(access_header(hs_key, typ="rt+jwt")).encode())
    other_payload = b64url(PAYLOAD.replace(b"user", b"root"))
    mac = bytearray(b64url_decode(signature))
    mac[0] ^= 0x01
    flipped, shortened, lengthened = bytes(mac), bytes(mac[:-1]), bytes(mac) + b"\x00"
    for bad in (
        f"{other_header}.{payload}.{signature}",
        f"{header}.{other_payload}.{signature}",
        f"{header}.{payload}.{b64url(flipped)}",
        f"{header}.{payload}.{b64url(shortened)}",
        f"{header}.{payload}.{b64url(lengthened)}",
    ):
        refuse(BadSignatureError, partial(jws.verify, bad, ring), token=bad, secrets=[HS_SECRET])


def test_signature_from_another_key_is_refused(token: str, ring: KeyRing) -> None:
    """A token signed with another secret under our kid is refused."""
    intruder = Key(kid=HS_KID, alg="HS256", material=bytes(32 * [7]))
    header, payload, _ = segments(token)
    bad = forge_raw(b64url_decode(header), b64url_decode(payload), intruder)
    refuse(BadSignatureError, lambda: jws.verify(bad, ring), token=bad, secrets=[HS_SECRET])


def test_unknown_kid_is_refused(hs_key: Key, ring: KeyRing) -> None:
    """A kid no key has is refused before the signature is looked at."""
    bad = forge(access_header(hs_key, kid="kid-nobody"), PAYLOAD, hs_key)
    refuse(UnknownKeyError, lambda: jws.verify(bad, ring), token=bad, kids=["kid-nobody"])


# --- input types ---------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [None, 12345, 1.5, ["a.b.c"], {"token": "a.b.c"}, bytearray(b"a.b.c"), memoryview(b"a")],
)
def test_non_string_input_is_malformed(value: object, ring: KeyRing) -> None:
    """Only ``str`` and ``bytes`` are tokens; anything else is refused cleanly."""
    refuse(MalformedTokenError, lambda: jws.verify(as_any(value), ring))


@pytest.mark.parametrize(
    "value",
    ["é.é.é", "eyJ\u00e9.e30.AA", "\u2024".join(["eyJ", "e30", "AA"])],
    ids=["latin", "accent", "one-dot-leader"],
)
def test_non_ascii_text_is_malformed(value: str, ring: KeyRing) -> None:
    """Non-ASCII characters never pass as base64url (no Unicode digits or dots)."""
    refuse(MalformedTokenError, lambda: jws.verify(value, ring))


def test_non_ascii_bytes_are_malformed(token: str, ring: KeyRing) -> None:
    """``bytes`` that are not ASCII are refused, not decoded leniently."""
    for bad in (token.encode() + b"\xff", b"\xc3\xa9" + token.encode(), "é".encode() * 10):
        refuse(MalformedTokenError, partial(jws.verify, bad, ring), token=bad)


def test_padding_helpers_agree_with_rfc_7515_appendix_c() -> None:
    """``b64url`` is RFC 7515 Appendix C base64url: no padding, URL alphabet."""
    assert jws.b64url(b"\xfb\xff") == "-_8"
    assert jws.b64url(b"") == ""
    assert base64.urlsafe_b64decode("-_8=") == b"\xfb\xff"
