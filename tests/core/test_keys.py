"""Keys and the key ring: the algorithm belongs to the key, never the token."""

from __future__ import annotations

import dataclasses
import json
from functools import partial
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

from authgate.core import (
    BadSignatureError,
    Key,
    KeyRing,
    KeyringError,
    KeyState,
    UnknownKeyError,
    WeakSecretError,
    generate_hmac_key,
    jws,
)

from ._support import (
    ALL_ALGORITHMS,
    EC_KID,
    HS_KID,
    HS_SECRET,
    NOW,
    access_header,
    as_any,
    forge,
    no_filesystem_access,
    refuse,
)

NONE_SPELLINGS = ["none", "None", "NONE", "nOnE"]
UNSUPPORTED_ALGORITHMS = [
    "HS384",
    "HS512",
    "RS256",
    "PS256",
    "ES384",
    "ES512",
    "ES256K",
    "hs256",
    "",
]
PATH_LIKE_KIDS = [
    "../../etc/passwd",
    "/dev/null",
    "kid\x00.pem",
    "..\\..\\windows\\win.ini",
    "file:///etc/passwd",
    "keys/../../secret",
]
STRANGE_KIDS = [*PATH_LIKE_KIDS, "", "k" * 65, "kid with space", "kïd", "kid\n"]


def _hs(kid: str = "kid-a", state: KeyState = KeyState.ACTIVE, **kw: Any) -> Key:
    return dataclasses.replace(
        Key(kid=kid, alg="HS256", material=HS_SECRET, created_at=NOW), state=state, **kw
    )


# --- Key ---------------------------------------------------------------------


@pytest.mark.parametrize("alg", NONE_SPELLINGS)
@pytest.mark.parametrize("material", [b"", HS_SECRET])
def test_key_refuses_alg_none_in_any_capitalisation(alg: str, material: bytes) -> None:
    """``none`` can never be a key's algorithm, however it is spelled."""
    with pytest.raises(KeyringError):
        Key(kid="k1", alg=alg, material=material)


@pytest.mark.parametrize("alg", UNSUPPORTED_ALGORITHMS)
def test_key_refuses_unsupported_algorithms(alg: str) -> None:
    """Only HS256, ES256 and EdDSA (exact spelling) can be configured."""
    with pytest.raises(KeyringError):
        Key(kid="k1", alg=alg, material=HS_SECRET)


@pytest.mark.parametrize("alg", [None, 256, b"HS256", ["HS256"]])
def test_key_refuses_non_string_algorithm(alg: object) -> None:
    """An algorithm that is not a string is refused, not coerced."""
    with pytest.raises(KeyringError):
        Key(kid="k1", alg=as_any(alg), material=HS_SECRET)


def test_hmac_secret_of_32_bytes_is_accepted_and_31_refused() -> None:
    """HS256 secrets need at least 256 bits (RFC 7518 §3.2): 31 bytes is weak."""
    assert Key(kid="k1", alg="HS256", material=bytes(range(32))).can_sign is True
    with pytest.raises(WeakSecretError):
        Key(kid="k1", alg="HS256", material=bytes(range(31)))
    with pytest.raises(WeakSecretError):
        Key(kid="k1", alg="HS256", material=b"")


def test_hmac_secret_must_be_bytes() -> None:
    """A text secret is refused: the caller must decide the encoding."""
    with pytest.raises(KeyringError):
        Key(kid="k1", alg="HS256", material=as_any("x" * 64))


def _public_key_texts() -> dict[str, bytes]:
    ec_public = ec.generate_private_key(ec.SECP256R1()).public_key()
    ed_public = ed25519.Ed25519PrivateKey.generate().public_key()
    rsa_public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    spki, pem = serialization.PublicFormat.SubjectPublicKeyInfo, serialization.Encoding.PEM
    openssh = serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    return {
        "ec-pem": ec_public.public_bytes(pem, spki),
        "ed25519-pem": ed_public.public_bytes(pem, spki),
        "rsa-pkcs1-pem": rsa_public.public_bytes(pem, serialization.PublicFormat.PKCS1),
        "ec-der": ec_public.public_bytes(serialization.Encoding.DER, spki),
        "ssh-ed25519": ed_public.public_bytes(*openssh),
        "ecdsa-sha2-nistp256": ec_public.public_bytes(*openssh),
        "ssh-rsa": rsa_public.public_bytes(*openssh),
        "ec-jwk": ECAlgorithm.to_jwk(ec_public).encode(),
        "ed25519-jwk": OKPAlgorithm.to_jwk(ed_public).encode(),
        "oct-jwk": json.dumps({"kty": "oct", "k": "A" * 43}).encode(),
    }


PUBLIC_KEY_TEXTS = _public_key_texts()


@pytest.mark.parametrize("name", sorted(PUBLIC_KEY_TEXTS))
def test_public_key_text_is_never_an_hmac_secret(name: str) -> None:
    """A PEM/DER/SSH public key or JWK document as HMAC secret is key confusion:
    refused as such (KeyringError, not merely 'too short')."""
    material = PUBLIC_KEY_TEXTS[name]
    assert len(material) >= 32
    err = refuse(KeyringError, lambda: Key(kid="k1", alg="HS256", material=material))
    assert "HMAC" in str(err)


@pytest.mark.parametrize("curve", [ec.SECP384R1(), ec.SECP521R1(), ec.SECP256K1()])
def test_es256_refuses_a_key_on_another_curve(curve: ec.EllipticCurve) -> None:
    """ES256 is P-256 only; a P-384/P-521/secp256k1 key is refused, private or public."""
    private = ec.generate_private_key(curve)
    for material in (private, private.public_key()):
        with pytest.raises(KeyringError):
            Key(kid="k1", alg="ES256", material=material)


@pytest.mark.parametrize(
    "material",
    [
        ed25519.Ed25519PrivateKey.generate(),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        HS_SECRET,
    ],
    ids=["ed25519", "rsa", "bytes"],
)
def test_es256_refuses_non_ec_material(material: object) -> None:
    """An ES256 key must be an elliptic-curve key object."""
    with pytest.raises(KeyringError):
        Key(kid="k1", alg="ES256", material=as_any(material))


@pytest.mark.parametrize(
    "material",
    [
        ed448.Ed448PrivateKey.generate(),
        ec.generate_private_key(ec.SECP256R1()),
        HS_SECRET,
    ],
    ids=["ed448", "p256", "bytes"],
)
def test_eddsa_refuses_anything_but_ed25519(material: object) -> None:
    """EdDSA here means Ed25519; Ed448, EC keys and raw bytes are refused."""
    with pytest.raises(KeyringError):
        Key(kid="k1", alg="EdDSA", material=as_any(material))


@pytest.mark.parametrize("kid", STRANGE_KIDS)
def test_key_refuses_kids_outside_the_safe_alphabet(kid: str) -> None:
    """A kid is 1-64 characters of ``A-Za-z0-9._-``: no path, NUL or URL."""
    with pytest.raises(KeyringError):
        Key(kid=kid, alg="HS256", material=HS_SECRET)


@pytest.mark.parametrize("kid", [1, ["kid-a"], None, b"kid-a"])
def test_key_refuses_non_string_kid(kid: object) -> None:
    """A kid that is not a string is refused."""
    with pytest.raises(KeyringError):
        Key(kid=as_any(kid), alg="HS256", material=HS_SECRET)


def test_kid_of_64_characters_is_accepted() -> None:
    """The kid length limit is inclusive (64)."""
    assert Key(kid="k" * 64, alg="HS256", material=HS_SECRET).kid == "k" * 64


def test_key_repr_never_shows_the_secret() -> None:
    """``repr(key)`` (logged by accident) carries no key material."""
    text = repr(Key(kid="k1", alg="HS256", material=HS_SECRET))
    assert HS_SECRET.hex() not in text
    assert repr(HS_SECRET) not in text


def test_public_key_can_verify_but_not_sign(ec_private: ec.EllipticCurvePrivateKey) -> None:
    """A key holding only a public key verifies and refuses to sign."""
    private = Key(kid="k1", alg="ES256", material=ec_private)
    public = Key(kid="k1", alg="ES256", material=ec_private.public_key())
    signature = private.sign(b"message")
    assert public.can_sign is False
    assert public.is_valid_signature(b"message", signature) is True
    assert public.is_valid_signature(b"messagE", signature) is False
    with pytest.raises(KeyringError):
        public.sign(b"message")


def test_generated_hmac_keys_are_fresh_and_strong() -> None:
    """``generate_hmac_key`` makes 256-bit, distinct secrets and distinct kids."""
    first, second = generate_hmac_key(created_at=NOW), generate_hmac_key(created_at=NOW)
    assert isinstance(first.material, bytes)
    assert len(first.material) == 32
    assert first.material != second.material
    assert first.kid != second.kid
    assert first.state is KeyState.ACTIVE
    assert first.created_at == NOW


# --- KeyRing -----------------------------------------------------------------


def test_ring_needs_exactly_one_active_key() -> None:
    """Zero or two active keys are refused; so is an empty ring."""
    with pytest.raises(KeyringError, match="exactly one key must be active, found 0"):
        KeyRing((_hs("a", KeyState.VERIFY_ONLY), _hs("b", KeyState.VERIFY_ONLY)))
    with pytest.raises(KeyringError, match="exactly one key must be active, found 2"):
        KeyRing((_hs("a"), _hs("b")))
    with pytest.raises(KeyringError, match="no keys"):
        KeyRing(())


def test_ring_refuses_duplicate_kids() -> None:
    """Two keys with one kid would make the lookup ambiguous."""
    with pytest.raises(KeyringError, match="duplicate kid"):
        KeyRing((_hs("a"), _hs("a", KeyState.VERIFY_ONLY)))


def test_ring_refuses_algorithms_off_the_allowlist(ec_key: Key) -> None:
    """The default allowlist is {HS256}: an ES256 key must be allowed explicitly."""
    with pytest.raises(KeyringError, match="not on the allowlist"):
        KeyRing((ec_key,))
    assert KeyRing((ec_key,), frozenset({"ES256"})).active is ec_key


@pytest.mark.parametrize("extra", [*NONE_SPELLINGS, "HS512", "RS256"])
def test_allowlist_can_never_name_none_or_unsupported(extra: str, hs_key: Key) -> None:
    """An allowlist naming ``none`` (any spelling) or an unsupported algorithm
    is refused even when no key uses it."""
    with pytest.raises(KeyringError, match="allowed_algorithms"):
        KeyRing((hs_key,), frozenset({"HS256", extra}))


def test_ring_reports_every_problem_at_once(ec_key: Key) -> None:
    """One error lists all problems, so an operator fixes them in one go."""
    keys = (_hs("a"), _hs("a"), ec_key)
    with pytest.raises(KeyringError) as info:
        KeyRing(keys, frozenset({"HS256", "none"}), kidless_kid="missing")
    message = str(info.value)
    for problem in (
        "allowed_algorithms",
        "duplicate kid(s): a",
        f"{EC_KID} uses ES256",
        "kidless_kid",
        "exactly one key must be active, found 3",
    ):
        assert problem in message


def test_active_key_must_be_able_to_sign(ec_private: ec.EllipticCurvePrivateKey) -> None:
    """The active key signs, so a public-only active key is refused."""
    public = Key(kid="k1", alg="ES256", material=ec_private.public_key())
    with pytest.raises(KeyringError, match="holds no private key"):
        KeyRing((public,), frozenset({"ES256"}))


def test_verify_only_keys_verify_but_never_sign(
    hs_key: Key, ec_private: ec.EllipticCurvePrivateKey
) -> None:
    """The ring always signs with its one active key; verify-only keys (HMAC or
    public) still verify the tokens they signed."""
    old = _hs("kid-old", KeyState.VERIFY_ONLY)
    public = Key(
        kid="kid-pub", alg="ES256", material=ec_private.public_key(), state=KeyState.VERIFY_ONLY
    )
    ring = KeyRing((old, public, hs_key), ALL_ALGORITHMS)
    assert ring.active is hs_key
    token = forge(access_header(old), b"{}", old)
    assert jws.verify(token, ring).key is old
    ec_signer = Key(kid="kid-pub", alg="ES256", material=ec_private)
    token = forge(access_header(ec_signer), b"{}", ec_signer)
    assert jws.verify(token, ring).key is public


def test_retired_and_unknown_kids_are_refused(hs_key: Key) -> None:
    """A retired key verifies nothing, exactly like a kid nobody configured."""
    retired = _hs("kid-retired", KeyState.RETIRED)
    ring = KeyRing((hs_key, retired))
    for kid in ("kid-retired", "kid-nobody-knows"):
        refuse(UnknownKeyError, partial(ring.verification_key, kid), kids=[kid])
    token = forge(access_header(retired), b"{}", retired)
    refuse(UnknownKeyError, lambda: jws.verify(token, ring), token=token, secrets=[HS_SECRET])


@pytest.mark.parametrize("kid", PATH_LIKE_KIDS)
def test_path_like_kids_are_refused_without_touching_the_filesystem(
    kid: str, ring: KeyRing, hs_key: Key, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kid is a dictionary key, never a path: path-like kids are unknown keys
    and nothing is opened, listed or stat'ed while refusing them."""
    token = forge(access_header(hs_key, kid=kid), b"{}", hs_key)
    with no_filesystem_access(monkeypatch):
        refuse(UnknownKeyError, lambda: jws.verify(token, ring), token=token, kids=[kid])


@pytest.mark.parametrize("kid", [1, 0, 1.5, True, ["kid-hs-7f3a9c2e"], {"kid": HS_KID}, None])
def test_non_string_kid_in_a_token_is_refused(kid: object, ring: KeyRing, hs_key: Key) -> None:
    """A token whose kid is a number, list, object, boolean or null names no key."""
    token = forge(access_header(hs_key, kid=kid), b"{}", hs_key)
    refuse(UnknownKeyError, lambda: jws.verify(token, ring), token=token, secrets=[HS_SECRET])


@pytest.mark.parametrize("kid", [1, ["kid-hs-7f3a9c2e"], None])
def test_non_string_kid_is_refused_even_with_kidless_kid(kid: object, hs_key: Key) -> None:
    """``kidless_kid`` is for tokens that carry *no* kid; an explicit ``"kid": null``
    (or any non-string kid) is malformed and must not fall back to it."""
    ring = KeyRing((hs_key,), kidless_kid=HS_KID)
    token = forge(access_header(hs_key, kid=kid), b"{}", hs_key)
    refuse(UnknownKeyError, lambda: jws.verify(token, ring), token=token, secrets=[HS_SECRET])


def test_kidless_tokens_use_kidless_kid_only_when_configured(hs_key: Key) -> None:
    """Without ``kidless_kid`` a token lacking a kid is refused — it never falls
    back to the active key; with it, that one named key verifies it."""
    token = forge(access_header(hs_key, kid=...), b"{}", hs_key)
    refuse(UnknownKeyError, lambda: jws.verify(token, KeyRing((hs_key,))), token=token)
    assert jws.verify(token, KeyRing((hs_key,), kidless_kid=HS_KID)).key is hs_key


def test_kidless_kid_selects_its_key_not_the_active_one(hs_key: Key) -> None:
    """Kid-less tokens are checked with the ``kidless_kid`` key even when another
    key is active; a token signed by the active key without kid fails."""
    legacy = _hs("kid-legacy", KeyState.VERIFY_ONLY, material=bytes(range(32, 64)))
    ring = KeyRing((hs_key, legacy), kidless_kid="kid-legacy")
    assert jws.verify(forge({"alg": "HS256"}, b"{}", legacy), ring).key is legacy
    token = forge({"alg": "HS256"}, b"{}", hs_key)
    refuse(BadSignatureError, lambda: jws.verify(token, ring), token=token, secrets=[HS_SECRET])


def test_kidless_kid_must_name_a_key_and_retired_means_refused(hs_key: Key) -> None:
    """``kidless_kid`` must name a key of the ring; if that key is retired,
    kid-less tokens are refused like any retired kid."""
    with pytest.raises(KeyringError, match="kidless_kid"):
        KeyRing((hs_key,), kidless_kid="kid-missing")
    retired = _hs("kid-legacy", KeyState.RETIRED)
    ring = KeyRing((hs_key, retired), kidless_kid="kid-legacy")
    token = forge({"alg": "HS256"}, b"{}", retired)
    refuse(UnknownKeyError, lambda: jws.verify(token, ring), token=token)


def test_public_jwks_has_public_verifying_keys_only(hs_key: Key, ec_key: Key, ed_key: Key) -> None:
    """The JWKS never contains HMAC secrets, private parts or retired keys."""
    retired_ed = dataclasses.replace(ed_key, kid="kid-ed-old", state=KeyState.RETIRED)
    verify_only_ec = dataclasses.replace(ec_key, state=KeyState.VERIFY_ONLY)
    verify_only_ed = dataclasses.replace(ed_key, state=KeyState.VERIFY_ONLY)
    ring = KeyRing((hs_key, verify_only_ec, verify_only_ed, retired_ed), ALL_ALGORITHMS)
    jwks = ring.public_jwks()
    assert sorted(jwk["kid"] for jwk in jwks["keys"]) == sorted([EC_KID, verify_only_ed.kid])
    for jwk in jwks["keys"]:
        assert "d" not in jwk
        assert "k" not in jwk
        assert jwk["use"] == "sig"
    assert KeyRing((hs_key,)).public_jwks() == {"keys": []}


def test_replace_keeps_allowlist_and_kidless_kid(hs_key: Key, ec_key: Key) -> None:
    """``replace`` swaps keys but keeps the ring's policy."""
    ring = KeyRing((hs_key,), ALL_ALGORITHMS, kidless_kid=HS_KID)
    replaced = ring.replace((hs_key, dataclasses.replace(ec_key, state=KeyState.VERIFY_ONLY)))
    assert replaced.allowed_algorithms == ALL_ALGORITHMS
    assert replaced.kidless_kid == HS_KID
    assert replaced.verification_key(EC_KID).alg == "ES256"
