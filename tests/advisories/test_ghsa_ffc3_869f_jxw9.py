"""GHSA-ffc3-869f-jxw9 (PyJWT < 2.14.0): a public key with modified PEM armour
moved past the guard in ``HMACAlgorithm.prepare_key``.

Different whitespace, CRLF or CR line endings, indentation, a BOM or text
around the armour made PyJWT accept a PEM public key as an HMAC secret, so an
attacker could forge HS256 tokens with it.  Each variant must be refused as an
authgate HS256 key, and a token MAC'd with it under an ES256 kid is refused.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from authgate.core import BadSignatureError, Key, KeyringError, jws

from ._forge import claims, hs256_with_secret, ring_and_keys

RING, _, EC_KEY, _ = ring_and_keys()
PEM = EC_KEY.material.public_key().public_bytes(  # type: ignore[union-attr]  # EC key object
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
LINES = PEM.splitlines()
VARIANTS = {
    "as-is": PEM,
    "crlf": PEM.replace(b"\n", b"\r\n"),
    "cr": PEM.replace(b"\n", b"\r"),
    "no-final-newline": PEM.rstrip(),
    "leading-newlines": b"\n\n" + PEM,
    "indented-spaces": b"\n".join(b"    " + line for line in LINES),
    "indented-tabs": b"\n".join(b"\t" + line for line in LINES),
    "bom": b"\xef\xbb\xbf" + PEM,
    "text-before": b"public key: " + PEM,
    "text-after": PEM + b"# end of key\n",
    "spaced-dashes": PEM.replace(b"-----BEGIN ", b"----- BEGIN ").replace(
        b"-----END ", b"----- END "
    ),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_modified_pem_armour_is_not_an_hmac_secret(name: str) -> None:
    """Every armour variant of a PEM public key is refused as an HS256 secret."""
    with pytest.raises(KeyringError):
        Key(kid="kid-confused", alg="HS256", material=VARIANTS[name])


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_token_macd_with_modified_armour_is_refused(name: str) -> None:
    """And the forged HS256 token under the ES256 kid is a bad signature."""
    token = hs256_with_secret(
        {"alg": "HS256", "kid": "kid-ec", "typ": "at+jwt"}, claims(), VARIANTS[name]
    )
    with pytest.raises(BadSignatureError):
        jws.verify(token, RING)
