"""The signature layer: strict compact JWS (RFC 7515 §7.1) against a key ring.

Order is the security argument: size cap → exact syntax → header → key by
``kid`` → that key's one algorithm → signature.  Nothing from the payload is
read before the signature holds; the header is only used to pick the key.

The syntax is stricter than RFC 7515 requires, on purpose: exactly three
non-empty segments of canonical unpadded base64url (no padding, whitespace or
non-zero unused bits), so a token has exactly one spelling and any changed
character is refused.  The header may carry only ``alg``, ``kid`` and ``typ``:
``jku``/``x5u``/``jwk``/``x5c`` would let the token pick its own key and
``crit``/``b64`` change how it is processed (RFC 8725 §3.10).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any, Final

from authgate.core.errors import (
    BadSignatureError,
    MalformedTokenError,
    TokenTooLargeError,
    UnknownKeyError,
)
from authgate.core.keys import Key, KeyRing

__all__ = [
    "ALLOWED_HEADER_PARAMETERS",
    "MAX_TOKEN_BYTES",
    "VerifiedJws",
    "b64url",
    "parse_json_object",
    "sign",
    "verify",
]

MAX_TOKEN_BYTES: Final = 8192
ALLOWED_HEADER_PARAMETERS: Final = frozenset({"alg", "kid", "typ"})

_COMPACT = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)")
_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# For a final character, the bits it carries that encode nothing must be 0.
_UNUSED_BITS: Final = {2: 0x0F, 3: 0x03}
_LAST_VALUE: Final = {c: i for i, c in enumerate(_ALPHABET)}


@dataclass(frozen=True, slots=True)
class VerifiedJws:
    """A JWS whose signature holds under ``key``; ``payload`` is still raw."""

    header: dict[str, Any]
    payload: bytes
    key: Key


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(segment: str) -> bytes:
    remainder = len(segment) % 4
    if remainder == 1 or (remainder and _LAST_VALUE[segment[-1]] & _UNUSED_BITS[remainder]):
        raise MalformedTokenError("segment is not canonical base64url")
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise MalformedTokenError("duplicate member in JSON object")
    return result


def parse_json_object(raw: bytes, what: str) -> dict[str, Any]:
    """A JSON object with unique member names, or ``MalformedTokenError``."""
    try:
        # RFC 7515 §5.2 step 3 / RFC 7519 §7.2: UTF-8 only (json.loads would
        # also guess UTF-16/32 from bytes).
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=_reject_duplicates)
    except (ValueError, RecursionError):
        raise MalformedTokenError(f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise MalformedTokenError(f"{what} is not a JSON object")
    return value


def sign(header: dict[str, Any], payload: bytes, key: Key) -> str:
    """Compact-serialise and sign; ``header`` must already name ``key``."""
    signing_input = (
        b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + b64url(payload)
    )
    return signing_input + "." + b64url(key.sign(signing_input.encode("ascii")))


def verify(
    token: str | bytes, keyring: KeyRing, *, max_bytes: int = MAX_TOKEN_BYTES
) -> VerifiedJws:
    """Check size, syntax, header and signature; return header and raw payload.

    Raises:
        TokenTooLargeError: longer than ``max_bytes`` (checked before parsing).
        MalformedTokenError: not three canonical base64url segments, header not
            a UTF-8 JSON object, unsupported header parameter, missing ``alg``.
        UnknownKeyError: no verify-capable key has this ``kid`` (or no kid and
            no ``kidless_kid`` configured).
        BadSignatureError: header ``alg`` differs from the key's algorithm, or
            the signature does not verify.
    """
    if isinstance(token, bytes):
        if len(token) > max_bytes:
            raise TokenTooLargeError(f"token exceeds {max_bytes} bytes")
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise MalformedTokenError("token is not ASCII") from None
    elif not isinstance(token, str):
        raise MalformedTokenError("token must be a string")
    if len(token) > max_bytes:
        raise TokenTooLargeError(f"token exceeds {max_bytes} bytes")
    match = _COMPACT.fullmatch(token)
    if match is None:
        raise MalformedTokenError("token is not a compact JWS of three base64url segments")
    header_b64, payload_b64, signature_b64 = match.groups()
    header = parse_json_object(_b64url_decode(header_b64), "header")
    if not header.keys() <= ALLOWED_HEADER_PARAMETERS:
        raise MalformedTokenError("header carries a parameter authgate does not accept")
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise MalformedTokenError("header has no alg")
    kid = header.get("kid")
    if "kid" in header and not isinstance(kid, str):
        raise UnknownKeyError("no usable key for this token's kid")
    key = keyring.verification_key(kid)
    signature = _b64url_decode(signature_b64)
    payload = _b64url_decode(payload_b64)
    # The key decides the algorithm; a header naming another one (HS256 with
    # an EC kid, "none", "hs256") is a forgery attempt, not a choice.
    if alg != key.alg or not key.is_valid_signature(
        token[: match.end(2)].encode("ascii"), signature
    ):
        raise BadSignatureError("signature does not verify")
    return VerifiedJws(header, payload, key)
