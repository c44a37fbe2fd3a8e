"""Signing keys and the key ring.

The algorithm is a property of the key, never of the token: a token's ``kid``
selects a :class:`Key`, and that key's one algorithm is the only one used to
check the signature (RFC 8725 §3.1, §3.2).  ``none`` and anything outside the
configured allowlist cannot even be put into a :class:`KeyRing`.

Keys are prepared once at construction (PyJWT's ``prepare_key`` re-validates
the HMAC secret on every ``jwt.decode`` call; here it runs once per key).
"""

from __future__ import annotations

import enum
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.algorithms import ECAlgorithm, HMACAlgorithm, OKPAlgorithm
from jwt.exceptions import InvalidKeyError

from authgate.core.errors import KeyringError, UnknownKeyError, WeakSecretError

__all__ = [
    "DEFAULT_ALLOWED_ALGORITHMS",
    "MIN_HMAC_SECRET_BYTES",
    "SUPPORTED_ALGORITHMS",
    "Key",
    "KeyRing",
    "KeyState",
    "generate_hmac_key",
]

SUPPORTED_ALGORITHMS: Final = frozenset({"HS256", "ES256", "EdDSA"})
DEFAULT_ALLOWED_ALGORITHMS: Final = frozenset({"HS256"})
MIN_HMAC_SECRET_BYTES: Final = 32  # 256 bits: RFC 7518 §3.2 for HS256

_KID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_HS256 = HMACAlgorithm(HMACAlgorithm.SHA256)
_ES256 = ECAlgorithm(ECAlgorithm.SHA256)
_EDDSA = OKPAlgorithm()
_VERIFIERS: Final[Mapping[str, Any]] = {"HS256": _HS256, "ES256": _ES256, "EdDSA": _EDDSA}

GENERATE_HINT: Final = (
    "generate one with `authgate keys generate` or "
    "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
)


class KeyState(enum.StrEnum):
    """Life cycle of a key: it signs, then only verifies, then is refused."""

    ACTIVE = "active"
    VERIFY_ONLY = "verify-only"
    RETIRED = "retired"


AsymmetricKey = (
    ec.EllipticCurvePrivateKey
    | ec.EllipticCurvePublicKey
    | ed25519.Ed25519PrivateKey
    | ed25519.Ed25519PublicKey
)


@dataclass(frozen=True, slots=True)
class Key:
    """One versioned key.

    ``material`` is the HMAC secret (bytes) for HS256, or a ``cryptography``
    key object for ES256 (P-256) and EdDSA (Ed25519); a public key can only
    verify.  ``deactivated_at`` records when the key stopped signing, which is
    what rotation needs to know when it may retire it.

    Raises:
        KeyringError: unsupported algorithm, bad ``kid``, material that does
            not fit the algorithm (e.g. a PEM public key offered as an HMAC
            secret: the classic key-confusion attack).
        WeakSecretError: an HMAC secret shorter than 32 bytes.
    """

    kid: str
    alg: str
    material: bytes | AsymmetricKey = field(repr=False)
    state: KeyState = KeyState.ACTIVE
    created_at: float = 0.0
    deactivated_at: float | None = None
    _prepared: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.alg, str) or self.alg not in SUPPORTED_ALGORITHMS:
            raise KeyringError(
                f"algorithm {self.alg!r} is not supported; authgate signs only with "
                f"{', '.join(sorted(SUPPORTED_ALGORITHMS))} (never 'none')"
            )
        if not isinstance(self.kid, str) or not _KID.fullmatch(self.kid):
            raise KeyringError("kid must be 1-64 characters from A-Z a-z 0-9 . _ -")
        object.__setattr__(self, "state", KeyState(self.state))
        object.__setattr__(self, "_prepared", _prepare(self.alg, self.material))

    @property
    def can_sign(self) -> bool:
        return self.alg == "HS256" or isinstance(
            self.material, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
        )

    def sign(self, signing_input: bytes) -> bytes:
        """Sign with this key's algorithm; only the key ring calls this."""
        if not self.can_sign:
            raise KeyringError(f"key {self.kid} holds only a public key and cannot sign")
        signature: bytes = _VERIFIERS[self.alg].sign(signing_input, self._prepared)
        return signature

    def is_valid_signature(self, signing_input: bytes, signature: bytes) -> bool:
        """Constant-time for HMAC (``hmac.compare_digest`` inside PyJWT)."""
        valid: bool = _VERIFIERS[self.alg].verify(signing_input, self._verifying_key(), signature)
        return valid

    def public_jwk(self) -> dict[str, Any] | None:
        """The public half as a JWK for JWKS, or ``None`` for HMAC keys."""
        if self.alg == "HS256":
            return None
        assert not isinstance(self.material, bytes)  # noqa: S101 - guaranteed by _prepare
        public = self.material.public_key() if self.can_sign else self.material  # type: ignore[union-attr]
        jwk: dict[str, Any] = _VERIFIERS[self.alg].to_jwk(public, as_dict=True)
        jwk.update(kid=self.kid, alg=self.alg, use="sig")
        return jwk

    def _verifying_key(self) -> Any:
        if self.alg == "HS256" or not self.can_sign:
            return self._prepared
        return self._prepared.public_key()


def _prepare(alg: str, material: object) -> Any:
    if alg == "HS256":
        if not isinstance(material, bytes):
            raise KeyringError("an HS256 key needs its secret as bytes")
        if len(material) < MIN_HMAC_SECRET_BYTES:
            raise WeakSecretError(
                f"HMAC secret has {len(material)} bytes; at least {MIN_HMAC_SECRET_BYTES} "
                f"random bytes are required ({GENERATE_HINT})"
            )
        try:
            return _HS256.prepare_key(material)
        except InvalidKeyError:
            # PEM/DER/SSH/JWK text used as an HMAC secret: key confusion.
            raise KeyringError(
                "an asymmetric key or JWK document cannot be used as an HMAC secret"
            ) from None
    if alg == "ES256":
        if not isinstance(material, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
            raise KeyringError("an ES256 key needs a P-256 elliptic-curve key object")
        if not isinstance(material.curve, ec.SECP256R1):
            raise KeyringError("ES256 requires the P-256 curve")
        return material
    if not isinstance(material, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        raise KeyringError("an EdDSA key needs an Ed25519 key object")
    return material


def generate_hmac_key(kid: str | None = None, *, created_at: float) -> Key:
    """A fresh 256-bit HS256 key, active from ``created_at``."""
    kid = kid or f"hs256-{secrets.token_hex(6)}"
    return Key(kid=kid, alg="HS256", material=secrets.token_bytes(32), created_at=created_at)


@dataclass(frozen=True, slots=True)
class KeyRing:
    """One active signing key plus verify-only keys, looked up by ``kid``.

    Raises:
        KeyringError: every problem found at once — no keys, no or several
            active keys, duplicate kids, an algorithm off the allowlist, or an
            allowlist naming an unsupported algorithm such as ``none``.
    """

    keys: tuple[Key, ...]
    allowed_algorithms: frozenset[str] = DEFAULT_ALLOWED_ALGORITHMS
    #: Key for tokens that carry no ``kid`` (interoperability with issuers
    #: that omit it).  ``None``, the default, refuses kid-less tokens.
    kidless_kid: str | None = None
    _by_kid: Mapping[str, Key] = field(init=False, repr=False, compare=False)
    _active: Key = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = tuple(self.keys)
        allowed = frozenset(self.allowed_algorithms)
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "allowed_algorithms", allowed)
        problems: list[str] = []
        unsupported = allowed - SUPPORTED_ALGORITHMS
        if unsupported:
            problems.append(
                f"allowed_algorithms may only contain {', '.join(sorted(SUPPORTED_ALGORITHMS))}; "
                f"refused: {', '.join(sorted(map(str, unsupported)))}"
            )
        if not keys:
            problems.append("the key ring has no keys")
        kids = [k.kid for k in keys]
        duplicates = sorted({k for k in kids if kids.count(k) > 1})
        if duplicates:
            problems.append(f"duplicate kid(s): {', '.join(duplicates)}")
        for key in keys:
            if key.alg not in allowed:
                problems.append(f"key {key.kid} uses {key.alg}, which is not on the allowlist")
        if self.kidless_kid is not None and self.kidless_kid not in kids:
            problems.append("kidless_kid names no key in the ring")
        active = [k for k in keys if k.state is KeyState.ACTIVE]
        if keys and len(active) != 1:
            problems.append(f"exactly one key must be active, found {len(active)}")
        elif active and not active[0].can_sign:
            problems.append(f"the active key {active[0].kid} holds no private key")
        if problems:
            raise KeyringError("; ".join(problems))
        by_kid = {k.kid: k for k in keys if k.state is not KeyState.RETIRED}
        object.__setattr__(self, "_by_kid", by_kid)
        object.__setattr__(self, "_active", active[0])

    @property
    def active(self) -> Key:
        return self._active

    def verification_key(self, kid: object) -> Key:
        """The key for ``kid`` if it may verify.

        Raises:
            UnknownKeyError: unknown, retired, or not a string; the kid is
                attacker input and is not echoed.
        """
        if kid is None:
            kid = self.kidless_kid
        key = self._by_kid.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise UnknownKeyError("no usable key for this token's kid")
        return key

    def public_jwks(self) -> dict[str, list[dict[str, Any]]]:
        """JWKS of verifying public keys; empty while only HMAC keys exist."""
        jwks = (k.public_jwk() for k in self._by_kid.values())
        return {"keys": [jwk for jwk in jwks if jwk is not None]}

    def replace(self, keys: Iterable[Key]) -> KeyRing:
        return KeyRing(tuple(keys), self.allowed_algorithms, self.kidless_kid)
