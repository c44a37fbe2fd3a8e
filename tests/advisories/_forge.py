"""What an attacker can build without any key authgate holds: MACs under public
material, and tokens signed with a key we *do* hold but with hostile headers."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from authgate.core import Key, KeyRing, KeyState, ManualClock, TokenPolicy, TokenVerifier
from authgate.core.jws import b64url

__all__ = ["NOW", "POLICY", "claims", "hs256_with_secret", "ring_and_keys", "sign", "verifier"]

NOW: Final = 1_800_000_000
VERIFY_ONLY: Final = KeyState.VERIFY_ONLY
POLICY: Final = TokenPolicy(issuer="https://auth.example.test", audience="https://api.example.test")


def _json(value: dict[str, Any] | bytes) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode()


def hs256_with_secret(
    header: dict[str, Any], payload: dict[str, Any] | bytes, secret: bytes
) -> str:
    """HS256 over header.payload with arbitrary bytes (e.g. a public key) as key."""
    signing_input = b64url(_json(header)) + "." + b64url(_json(payload))
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + b64url(mac)


def sign(header: dict[str, Any] | bytes, payload: dict[str, Any] | bytes, key: Key) -> str:
    """A correctly signed token with exactly this header (hostile headers)."""
    signing_input = b64url(_json(header)) + "." + b64url(_json(payload))
    return signing_input + "." + b64url(key.sign(signing_input.encode("ascii")))


def claims(**changes: Any) -> dict[str, Any]:
    return {
        "iss": POLICY.issuer,
        "aud": POLICY.audience,
        "sub": "u_admin",
        "iat": NOW,
        "nbf": NOW,
        "exp": NOW + 600,
        "jti": "jti-advisory-0001",
        "role": "admin",
        **changes,
    }


def ring_and_keys() -> tuple[KeyRing, Key, Key, Key]:
    """An HS256 active key plus ES256 and EdDSA verify-only keys (public only)."""
    hs = Key(kid="kid-hs", alg="HS256", material=hashlib.sha256(b"advisory tests").digest())
    ec_private = ec.generate_private_key(ec.SECP256R1())
    ed_private = ed25519.Ed25519PrivateKey.generate()
    ec_key = Key(kid="kid-ec", alg="ES256", material=ec_private)
    ed_key = Key(kid="kid-ed", alg="EdDSA", material=ed_private)
    ring = KeyRing(
        (
            hs,
            Key(kid="kid-ec", alg="ES256", material=ec_private.public_key(), state=VERIFY_ONLY),
            Key(kid="kid-ed", alg="EdDSA", material=ed_private.public_key(), state=VERIFY_ONLY),
        ),
        frozenset({"HS256", "ES256", "EdDSA"}),
    )
    return ring, hs, ec_key, ed_key


def verifier(ring: KeyRing) -> TokenVerifier:
    return TokenVerifier(ring, POLICY, ManualClock(NOW))
