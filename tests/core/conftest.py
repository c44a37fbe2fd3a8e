"""Fixtures for the core tests: a manual clock, distinctive keys, a policy.

Secrets and kids are distinctive on purpose, so the error-hygiene checks can
search messages for them without false positives.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from authgate.core import (
    Key,
    KeyRing,
    ManualClock,
    MemoryRevocationList,
    TokenIssuer,
    TokenPolicy,
    TokenVerifier,
)

from ._support import EC_KID, ED_KID, HS_KID, HS_SECRET, NOW


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def hs_key() -> Key:
    return Key(kid=HS_KID, alg="HS256", material=HS_SECRET, created_at=NOW)


@pytest.fixture(scope="session")
def ec_private() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="session")
def ed_private() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


@pytest.fixture
def ec_key(ec_private: ec.EllipticCurvePrivateKey) -> Key:
    return Key(kid=EC_KID, alg="ES256", material=ec_private, created_at=NOW)


@pytest.fixture
def ed_key(ed_private: ed25519.Ed25519PrivateKey) -> Key:
    return Key(kid=ED_KID, alg="EdDSA", material=ed_private, created_at=NOW)


@pytest.fixture
def ring(hs_key: Key) -> KeyRing:
    return KeyRing((hs_key,))


@pytest.fixture
def policy() -> TokenPolicy:
    return TokenPolicy(issuer="https://auth.example.test", audience="https://api.example.test")


@pytest.fixture
def revocations(clock: ManualClock) -> MemoryRevocationList:
    return MemoryRevocationList(clock)


@pytest.fixture
def issuer(ring: KeyRing, policy: TokenPolicy, clock: ManualClock) -> TokenIssuer:
    return TokenIssuer(ring, policy, clock)


@pytest.fixture
def verifier(
    ring: KeyRing, policy: TokenPolicy, clock: ManualClock, revocations: MemoryRevocationList
) -> TokenVerifier:
    return TokenVerifier(ring, policy, clock, revocations)


@pytest.fixture
def access_token(issuer: TokenIssuer) -> str:
    return issuer.issue_access_token(subject="u_5b1e0c", role="user").token
