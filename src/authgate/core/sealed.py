"""Encryption to whoever holds a secret token (AES-256-GCM, key via HKDF).

Used for refresh rotation's grace window: the successor of a spent refresh
token is stored sealed under a key derived from the spent token itself.  A
concurrent honest request that presents the spent token can open it and get
the *same* successor; the database alone yields nothing usable, because it
stores only hashes of tokens, never the tokens that derive the keys.
"""

from __future__ import annotations

import secrets
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["open_for_holder", "seal_for_holder"]

_INFO: Final = b"authgate sealed-for-holder v1"
_NONCE_BYTES: Final = 12


def _key(holder_secret: str, context: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO + context)
    return hkdf.derive(holder_secret.encode("utf-8"))


def seal_for_holder(plaintext: str, holder_secret: str, *, context: bytes = b"") -> bytes:
    """``nonce || ciphertext`` that only ``holder_secret`` opens."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return nonce + AESGCM(_key(holder_secret, context)).encrypt(
        nonce, plaintext.encode("utf-8"), context
    )


def open_for_holder(box: bytes, holder_secret: str, *, context: bytes = b"") -> str | None:
    """The plaintext, or ``None`` when ``holder_secret`` is not the sealing one."""
    nonce, ciphertext = box[:_NONCE_BYTES], box[_NONCE_BYTES:]
    try:
        plain = AESGCM(_key(holder_secret, context)).decrypt(nonce, ciphertext, context)
    except (InvalidTag, ValueError):
        return None
    return plain.decode("utf-8")
