"""CVE-2022-29217 / GHSA-ffqj-6fqr-9h24 (PyJWT < 2.4.0): key confusion through
non-blocklisted public key formats.

An attacker who may choose the algorithm sets ``alg: HS256`` and MACs the token
with the server's *public* key (e.g. an ``ssh-ed25519 …`` line) as the HMAC
secret; PyJWT only blocklisted some PEM forms, so the forged token verified.
authgate is immune twice over: the kid's key alone decides the algorithm, and a
public key in any of these formats can never be configured as an HMAC secret.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from authgate.core import BadSignatureError, Key, KeyringError, jws

from ._forge import claims, hs256_with_secret, ring_and_keys, verifier

PEM, DER, OPENSSH = (
    serialization.Encoding.PEM,
    serialization.Encoding.DER,
    serialization.Encoding.OpenSSH,
)
SPKI = serialization.PublicFormat.SubjectPublicKeyInfo


def _public_key_bytes(
    public: ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey,
) -> dict[str, bytes]:
    return {
        "openssh": public.public_bytes(OPENSSH, serialization.PublicFormat.OpenSSH),
        "pem-spki": public.public_bytes(PEM, SPKI),
        "der-spki": public.public_bytes(DER, SPKI),
    }


RSA_PUBLIC = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
FORMATS = {
    **{
        f"ec-{k}": v
        for k, v in _public_key_bytes(ec.generate_private_key(ec.SECP256R1()).public_key()).items()
    },
    **{
        f"ed25519-{k}": v
        for k, v in _public_key_bytes(ed25519.Ed25519PrivateKey.generate().public_key()).items()
    },
    "rsa-openssh": RSA_PUBLIC.public_bytes(OPENSSH, serialization.PublicFormat.OpenSSH),
    "rsa-pkcs1-pem": RSA_PUBLIC.public_bytes(PEM, serialization.PublicFormat.PKCS1),
    "rsa-pem-spki": RSA_PUBLIC.public_bytes(PEM, SPKI),
}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_public_key_in_any_format_is_not_an_hmac_secret(name: str) -> None:
    """PEM, DER and OpenSSH public keys (ssh-ed25519, ecdsa-sha2-nistp256,
    ssh-rsa) are refused as HS256 secrets."""
    with pytest.raises(KeyringError):
        Key(kid="kid-confused", alg="HS256", material=FORMATS[name])


@pytest.mark.parametrize("encoding", ["openssh", "pem-spki", "der-spki"])
@pytest.mark.parametrize("target", ["kid-ec", "kid-ed"])
def test_hs256_token_macd_with_the_servers_public_key_is_refused(
    target: str, encoding: str
) -> None:
    """The attack itself: an HS256 token MAC'd with the public key of an
    ES256/EdDSA kid (the attacker's choice of format) is a bad signature."""
    ring, _, ec_key, ed_key = ring_and_keys()
    key = ec_key if target == "kid-ec" else ed_key
    public = key.material.public_key()  # type: ignore[union-attr]  # asymmetric key object
    secret = _public_key_bytes(public)[encoding]
    token = hs256_with_secret({"alg": "HS256", "kid": target, "typ": "at+jwt"}, claims(), secret)
    with pytest.raises(BadSignatureError):
        jws.verify(token, ring)
    with pytest.raises(BadSignatureError):
        verifier(ring).verify_access_token(token)
