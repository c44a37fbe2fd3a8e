"""CVE-2026-48526 / GHSA-xgmm-8j9v-c9wx (PyJWT < 2.13.0): a JWK document
accepted as an HMAC secret.

PyJWT's PEM/SSH guard did not cover JSON Web Keys: an application that handed
the issuer's public JWK (as text) to ``jwt.decode`` with HS256 allowed let an
attacker MAC tokens with that public document.  authgate refuses JWK text as an
HMAC secret, and its kids bind one algorithm, so a token MAC'd with the JWKS it
publishes is refused.
"""

from __future__ import annotations

import json

import pytest

from authgate.core import BadSignatureError, Key, KeyringError, jws

from ._forge import claims, hs256_with_secret, ring_and_keys, verifier

RING, _, EC_KEY, ED_KEY = ring_and_keys()
EC_JWK = EC_KEY.public_jwk()
ED_JWK = ED_KEY.public_jwk()
assert EC_JWK is not None
assert ED_JWK is not None

DOCUMENTS = {
    "ec-jwk": json.dumps(EC_JWK).encode(),
    "okp-jwk": json.dumps(ED_JWK).encode(),
    "ec-jwk-pretty": json.dumps(EC_JWK, indent=2).encode(),
    "ec-jwk-leading-whitespace": b" \n\t" + json.dumps(EC_JWK).encode(),
    "ec-jwk-bom": b"\xef\xbb\xbf" + json.dumps(EC_JWK).encode(),
    "jwks": json.dumps(RING.public_jwks()).encode(),
    "jwk-array": json.dumps([EC_JWK]).encode(),
    "oct-jwk": json.dumps({"kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"}).encode(),
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_jwk_documents_are_not_hmac_secrets(name: str) -> None:
    """A JWK, JWKS or JWK array (compact, pretty, BOM- or space-prefixed) is
    refused as an HS256 secret."""
    with pytest.raises(KeyringError):
        Key(kid="kid-confused", alg="HS256", material=DOCUMENTS[name])


@pytest.mark.parametrize("name", ["ec-jwk", "okp-jwk", "jwks"])
def test_token_macd_with_the_published_jwks_is_refused(name: str) -> None:
    """The attack: HS256 MAC'd with the JWK/JWKS authgate serves at
    /.well-known/jwks.json, under the kid of that public key."""
    kid = "kid-ed" if name == "okp-jwk" else "kid-ec"
    token = hs256_with_secret(
        {"alg": "HS256", "kid": kid, "typ": "at+jwt"}, claims(), DOCUMENTS[name]
    )
    with pytest.raises(BadSignatureError):
        jws.verify(token, RING)
    with pytest.raises(BadSignatureError):
        verifier(RING).verify_access_token(token)
