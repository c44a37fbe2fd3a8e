"""GHSA-8wjv-2p76-3863 (PyJWT < 2.14.0): a header nested many levels deep
raised an uncaught ``RecursionError`` in ``jwt.decode``.

An unauthenticated request must never crash the verifier (a 500 instead of a
401).  In authgate such a header or payload is a ``MalformedTokenError``.
"""

from __future__ import annotations

import pytest

from authgate.core import MalformedTokenError, jws

from ._forge import ring_and_keys, sign, verifier

RING, HS_KEY, _, _ = ring_and_keys()
DEPTH = 2900  # deep enough to exhaust the JSON parser, small enough for the 8 KiB cap


@pytest.mark.parametrize("shape", ["arrays", "objects"])
def test_deeply_nested_header_is_malformed(shape: str) -> None:
    """A deeply nested header is refused cleanly, before any key is looked up."""
    if shape == "arrays":
        nested = b"[" * DEPTH + b"]" * DEPTH
    else:
        nested = b'{"":' * 1150 + b"1" + b"}" * 1150
    token = sign(nested, b"{}", HS_KEY)
    assert len(token) <= 8192
    with pytest.raises(MalformedTokenError):
        jws.verify(token, RING)


def test_deeply_nested_payload_is_malformed() -> None:
    """A validly signed, deeply nested payload is refused cleanly too."""
    header = {"alg": "HS256", "kid": HS_KEY.kid, "typ": "at+jwt"}
    token = sign(header, b'{"a":' + b"[" * DEPTH + b"]" * DEPTH + b"}", HS_KEY)
    assert len(token) <= 8192
    with pytest.raises(MalformedTokenError):
        verifier(RING).verify_access_token(token)
