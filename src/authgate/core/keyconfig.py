"""Key rings from configuration text, and back.

Two forms, both meant to live in an environment variable or a Kubernetes
secret file (``config.py`` reads them; this module only parses):

* a single secret (``AUTHGATE_JWT_SECRET``): the UTF-8 bytes of the text are
  the HS256 key; the ``kid`` is derived from a hash of the secret so every
  instance sharing the secret agrees on it without more configuration;
* a versioned key set (``AUTHGATE_JWT_KEYS``), JSON::

      {"keys": [
        {"kid": "2026-q4", "alg": "HS256", "state": "active",
         "created_at": "2026-10-01T00:00:00Z", "secret": "<base64url, >= 32 bytes>"},
        {"kid": "2026-q3", "alg": "HS256", "state": "verify-only",
         "created_at": "2026-07-01T00:00:00Z", "deactivated_at": "2026-10-01T00:00:00Z",
         "secret": "..."},
        {"kid": "ec-1", "alg": "ES256", "state": "verify-only",
         "created_at": "2026-07-01T00:00:00Z", "private_key_pem": "-----BEGIN PRIVATE KEY-----..."}
      ]}

Secrets are refused when short, well known or plainly not random; each
refusal says how to generate a good one and never repeats the secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import serialization

from authgate.core.errors import KeyringError, WeakSecretError
from authgate.core.keys import (
    DEFAULT_ALLOWED_ALGORITHMS,
    GENERATE_HINT,
    MIN_HMAC_SECRET_BYTES,
    Key,
    KeyRing,
    KeyState,
    generate_hmac_key,
)

__all__ = [
    "check_secret_strength",
    "keyring_from_json",
    "keyring_from_secret",
    "keyring_to_json",
    "load_or_create_dev_keyring",
    "secret_kid",
]

# Defaults copied from tutorials, framework templates and jwt.io.  Compared
# case-insensitively after stripping; a secret that merely repeats one of
# them ("secretsecretsecret...") is refused too.
KNOWN_DEFAULT_SECRETS: Final = frozenset(
    {
        "secret",
        "changeme",
        "change-me",
        "change_me",
        "changethis",
        "password",
        "jwt_secret",
        "jwt-secret",
        "jwtsecret",
        "secretkey",
        "secret_key",
        "secret-key",
        "mysecret",
        "supersecret",
        "your-secret-key",
        "your_secret_key",
        "your-256-bit-secret",  # jwt.io HS256 example
        "a-string-secret-at-least-256-bits-long",  # jwt.io HS256 example (2025)
        "your-super-secret-jwt-token-with-at-least-32-characters-long",  # Supabase
        "super-secret-jwt-token-with-at-least-32-characters-long",  # Supabase
        "keyboard cat",  # express-session
        "shhhhh",  # jsonwebtoken README
        "default",
        "test",
        "development",
        "replace-me",
        "0123456789abcdef0123456789abcdef",
    }
)
_MIN_DISTINCT_CHARACTERS: Final = 12


def check_secret_strength(secret: bytes, *, name: str = "the HMAC secret") -> None:
    """Refuse a human-supplied secret that cannot be 256 random bits.

    Raises:
        WeakSecretError: too short, a known default (or a repetition of one),
            or too few distinct characters to be random.
    """
    if len(secret) < MIN_HMAC_SECRET_BYTES:
        raise WeakSecretError(
            f"{name} has {len(secret)} bytes; at least {MIN_HMAC_SECRET_BYTES} random bytes "
            f"are required ({GENERATE_HINT})"
        )
    folded = secret.strip().lower()
    for default in KNOWN_DEFAULT_SECRETS:
        unit = default.encode()
        if folded == unit or folded == unit * (len(folded) // len(unit)):
            raise WeakSecretError(f"{name} is a well-known default value ({GENERATE_HINT})")
    if len(set(secret)) < _MIN_DISTINCT_CHARACTERS:
        raise WeakSecretError(f"{name} is not random enough ({GENERATE_HINT})")


def secret_kid(secret: bytes) -> str:
    """A stable kid for a single configured secret.

    Domain-separated and truncated: it identifies the key across instances
    without being usable to test guesses faster than the HMAC itself.
    """
    return "hs256-" + hashlib.sha256(b"authgate kid\x00" + secret).hexdigest()[:16]


def keyring_from_secret(secret: str, *, created_at: float = 0.0) -> KeyRing:
    """A one-key HS256 ring from ``AUTHGATE_JWT_SECRET``.

    Raises:
        WeakSecretError: see :func:`check_secret_strength`.
    """
    try:
        raw = secret.encode("utf-8")
    except UnicodeEncodeError:
        raise KeyringError(
            f"AUTHGATE_JWT_SECRET is not valid UTF-8 text ({GENERATE_HINT})"
        ) from None
    check_secret_strength(raw, name="AUTHGATE_JWT_SECRET")
    key = Key(kid=secret_kid(raw), alg="HS256", material=raw, created_at=created_at)
    return KeyRing((key,))


def keyring_from_json(
    text: str, *, allowed_algorithms: frozenset[str] = DEFAULT_ALLOWED_ALGORITHMS
) -> KeyRing:
    """A versioned ring from ``AUTHGATE_JWT_KEYS`` (format in the module doc).

    Raises:
        KeyringError: invalid JSON or entries; all entry problems reported at once.
    """
    try:
        document = json.loads(text)
    except ValueError:
        raise KeyringError("AUTHGATE_JWT_KEYS is not valid JSON") from None
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise KeyringError('AUTHGATE_JWT_KEYS must be a JSON object {"keys": [ ... ]}')
    keys: list[Key] = []
    problems: list[str] = []
    for index, entry in enumerate(entries):
        try:
            keys.append(_key_from_entry(entry))
        except KeyringError as err:
            problems.append(f"keys[{index}]: {err}")
    if problems:
        raise KeyringError("; ".join(problems))
    return KeyRing(tuple(keys), allowed_algorithms)


def _key_from_entry(entry: object) -> Key:
    if not isinstance(entry, dict):
        raise KeyringError("each key must be a JSON object")
    unknown = set(entry) - {
        "kid",
        "alg",
        "state",
        "created_at",
        "deactivated_at",
        "secret",
        "private_key_pem",
    }
    if unknown:
        raise KeyringError(f"unknown field(s): {', '.join(sorted(unknown))}")
    alg = entry.get("alg", "HS256")
    material: Any
    if alg == "HS256":
        material = _decode_secret(entry.get("secret"))
        check_secret_strength(material, name=f"the secret of key {entry.get('kid')!s}")
    elif isinstance(entry.get("private_key_pem"), str):
        try:
            material = serialization.load_pem_private_key(
                entry["private_key_pem"].encode(), password=None
            )
        except (ValueError, TypeError):
            raise KeyringError("private_key_pem is not an unencrypted PEM private key") from None
    else:
        raise KeyringError(f"a {alg!s} key needs private_key_pem")
    try:
        state = KeyState(entry.get("state", "active"))
    except ValueError:
        raise KeyringError("state must be active, verify-only or retired") from None
    return Key(
        kid=entry.get("kid", ""),
        alg=alg,
        material=material,
        state=state,
        created_at=_parse_time(entry.get("created_at"), "created_at", default=0.0),
        deactivated_at=_parse_time(entry.get("deactivated_at"), "deactivated_at", default=None),
    )


def _decode_secret(value: object) -> bytes:
    if not isinstance(value, str) or not value:
        raise KeyringError(f"an HS256 key needs 'secret' (base64url); {GENERATE_HINT}")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise KeyringError("'secret' is not base64url") from None


def _parse_time(value: object, name: str, *, default: float | None) -> Any:
    if value is None:
        return default
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise KeyringError(f"{name} must be an ISO 8601 time") from None
        if parsed.tzinfo is None:
            raise KeyringError(f"{name} must carry a time zone (e.g. a trailing Z)")
        return parsed.timestamp()
    raise KeyringError(f"{name} must be an ISO 8601 time")


def _format_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def keyring_to_json(ring: KeyRing) -> str:
    """The versioned form of ``ring``; contains secrets — handle as one."""
    entries: list[dict[str, Any]] = []
    for key in ring.keys:
        entry: dict[str, Any] = {
            "kid": key.kid,
            "alg": key.alg,
            "state": key.state.value,
            "created_at": _format_time(key.created_at),
        }
        if key.deactivated_at is not None:
            entry["deactivated_at"] = _format_time(key.deactivated_at)
        if isinstance(key.material, bytes):
            entry["secret"] = base64.urlsafe_b64encode(key.material).rstrip(b"=").decode()
        elif key.can_sign:
            entry["private_key_pem"] = key.material.private_bytes(  # type: ignore[union-attr]
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode()
        else:
            raise KeyringError(f"key {key.kid} has no private key to export")
        entries.append(entry)
    return json.dumps({"keys": entries}, indent=2)


def load_or_create_dev_keyring(path: Path, *, now: float) -> tuple[KeyRing, bool]:
    """Development only: reuse the key file at ``path`` or create it.

    Returns the ring and whether it was just created, so the caller can warn
    loudly.  The file is written atomically with mode 0600.

    .. warning:: never use in production: the key lives on local disk.
    """
    if path.exists():
        return keyring_from_json(path.read_text(encoding="utf-8")), False
    ring = KeyRing((generate_hmac_key(created_at=now),))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".devkey-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(keyring_to_json(ring))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return ring, True
