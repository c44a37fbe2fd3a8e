"""CVE-2026-32597 / GHSA-752w-5fwx-jx9f (PyJWT <= 2.11.0): ``crit`` ignored.

RFC 7515 §4.1.11: a JWS whose ``crit`` lists an extension the recipient does
not understand MUST be rejected.  PyJWT accepted such tokens, so an issuer's
critical extension (e.g. token binding, MFA requirement) could be bypassed.
authgate understands no extension: any ``crit`` — even listing only ``b64``,
or empty — is refused, also when the signature is genuine.
"""

from __future__ import annotations

from typing import Any

import pytest

from authgate.core import MalformedTokenError, jws

from ._forge import claims, ring_and_keys, sign, verifier

RING, HS_KEY, _, _ = ring_and_keys()
HEADERS: dict[str, dict[str, Any]] = {
    "unknown-extension": {"crit": ["http://example.com/mfa"], "http://example.com/mfa": True},
    "registered-claim-name": {"crit": ["exp"], "exp": 1},
    "b64-false": {"crit": ["b64"], "b64": False},
    "b64-true": {"crit": ["b64"], "b64": True},
    "empty-list": {"crit": []},
    "not-a-list": {"crit": "exp"},
    "null": {"crit": None},
}


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_any_crit_header_is_refused(name: str) -> None:
    """A correctly signed token carrying ``crit`` in any form is malformed."""
    header = {"alg": "HS256", "kid": HS_KEY.kid, "typ": "at+jwt", **HEADERS[name]}
    token = sign(header, claims(), HS_KEY)
    with pytest.raises(MalformedTokenError):
        jws.verify(token, RING)
    with pytest.raises(MalformedTokenError):
        verifier(RING).verify_access_token(token)


def test_the_same_token_without_crit_is_accepted() -> None:
    """Control: only ``crit`` made the difference above."""
    token = sign({"alg": "HS256", "kid": HS_KEY.kid, "typ": "at+jwt"}, claims(), HS_KEY)
    assert verifier(RING).verify_access_token(token).role == "admin"
