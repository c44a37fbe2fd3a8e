"""Signed double-submit CSRF tokens bound to a session.

A token is ``<nonce>.<mac>`` with ``mac = HMAC-SHA256(secret, "authgate-csrf" ||
session id || nonce)``.  The browser holds it in a readable cookie and echoes it
in ``X-CSRF-Token``; the server recomputes the MAC for the session the request
is authenticated as.  Because the MAC covers the session id, a token planted by
an attacker (cookie tossing from a sibling subdomain) or taken from another
session is refused (OWASP CSRF cheat sheet, "signed double-submit cookie").

Several secrets may be given: the first signs, all verify (rotation).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Final

from authgate.core.errors import CsrfError, KeyringError

__all__ = ["CsrfTokens", "derive_csrf_secret"]

_NONCE_BYTES: Final = 16
_MAX_TOKEN_LENGTH: Final = 128


def derive_csrf_secret(signing_secret: bytes) -> bytes:
    """A CSRF key derived from an HMAC signing key (domain-separated HMAC).

    The CSRF MAC and the JWT MAC must never be interchangeable, so the key is
    derived rather than reused.
    """
    return hmac.new(signing_secret, b"authgate csrf key v1", hashlib.sha256).digest()


class CsrfTokens:
    """Issue and verify CSRF tokens for a session id."""

    __slots__ = ("_secrets",)

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys or any(len(k) < 32 for k in keys):
            raise KeyringError("CSRF secrets must be at least 32 bytes each")
        self._secrets = tuple(keys)

    def _mac(self, secret: bytes, session_id: str, nonce: bytes) -> bytes:
        message = b"authgate-csrf\x00" + session_id.encode("utf-8") + b"\x00" + nonce
        return hmac.new(secret, message, hashlib.sha256).digest()

    def issue(self, session_id: str) -> str:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        mac = self._mac(self._secrets[0], session_id, nonce)
        return _encode(nonce) + "." + _encode(mac)

    def verify(self, token: str | None, session_id: str) -> None:
        """Accept ``token`` for ``session_id`` or raise.

        Raises:
            CsrfError: missing, malformed, or made for another session/secret.
        """
        if not token:
            raise CsrfError("CSRF token missing")
        if len(token) > _MAX_TOKEN_LENGTH or token.count(".") != 1:
            raise CsrfError("CSRF token malformed")
        nonce_text, mac_text = token.split(".")
        try:
            nonce, mac = _decode(nonce_text), _decode(mac_text)
        except (binascii.Error, ValueError):
            raise CsrfError("CSRF token malformed") from None
        if len(nonce) != _NONCE_BYTES:
            raise CsrfError("CSRF token malformed")
        valid = False
        for secret in self._secrets:
            # Every secret is tried so the time does not depend on which matched.
            valid |= hmac.compare_digest(mac, self._mac(secret, session_id, nonce))
        if not valid:
            raise CsrfError("CSRF token does not belong to this session")


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _encode(data) != text:
        raise ValueError("non-canonical base64url")
    return data
