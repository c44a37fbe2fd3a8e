"""GHSA-hxm8-2xgr-2p9m (PyJWT): junk outside the base64url alphabet (e.g.
``signature!!!!``) was silently dropped by the lenient decoder, so altered
tokens still verified.

authgate reads each segment as canonical base64url only: any character outside
``A-Z a-z 0-9 - _``, padding, or a different spelling of the same bytes is
malformed.
"""

from __future__ import annotations

import pytest

from authgate.core import MalformedTokenError, jws

from ._forge import claims, ring_and_keys, sign

RING, HS_KEY, _, _ = ring_and_keys()
TOKEN = sign({"alg": "HS256", "kid": HS_KEY.kid, "typ": "at+jwt"}, claims(), HS_KEY)
HEADER, PAYLOAD, SIGNATURE = TOKEN.split(".")
JUNK = ["!!!!", "====", "@", "%", "+", "/", "~", "\x00", "\t", " ", "é"]


def test_the_untouched_token_verifies() -> None:
    """Control: the token is valid before junk is added."""
    assert jws.verify(TOKEN, RING).key is HS_KEY


@pytest.mark.parametrize("junk", JUNK)
@pytest.mark.parametrize(
    "where", ["header-end", "payload-middle", "signature-end", "signature-start"]
)
def test_junk_in_any_segment_is_malformed(junk: str, where: str) -> None:
    """Junk characters anywhere in any segment are refused, never skipped."""
    middle = len(PAYLOAD) // 2
    token = {
        "header-end": f"{HEADER}{junk}.{PAYLOAD}.{SIGNATURE}",
        "payload-middle": f"{HEADER}.{PAYLOAD[:middle]}{junk}{PAYLOAD[middle:]}.{SIGNATURE}",
        "signature-end": f"{HEADER}.{PAYLOAD}.{SIGNATURE}{junk}",
        "signature-start": f"{HEADER}.{PAYLOAD}.{junk}{SIGNATURE}",
    }[where]
    with pytest.raises(MalformedTokenError):
        jws.verify(token, RING)
