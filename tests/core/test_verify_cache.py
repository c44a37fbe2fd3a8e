"""The verified-token cache may skip only work whose result cannot change.

A hit must be refused exactly when a fresh verification would be: expiry,
not-before and revocation are checked on every call; a key-ring or policy
change empties the cache; the cache never grows past its bound.
"""

from __future__ import annotations

import pytest

from authgate.core import (
    ExpiredTokenError,
    KeyRing,
    ManualClock,
    MemoryRevocationList,
    NotYetValidError,
    RevokedTokenError,
    TokenIssuer,
    TokenPolicy,
    TokenVerifier,
    UnknownKeyError,
    generate_hmac_key,
)


def test_cache_hit_returns_the_same_claims(verifier: TokenVerifier, access_token: str) -> None:
    """A second verification of the same text is served from the cache."""
    first = verifier.verify_access_token(access_token)
    assert verifier.verify_access_token(access_token) is first


def test_revocation_is_checked_on_every_hit(
    verifier: TokenVerifier, access_token: str, revocations: MemoryRevocationList
) -> None:
    """A cached token revoked afterwards is refused on the next call."""
    claims = verifier.verify_access_token(access_token)
    revocations.revoke(claims.jti, claims.exp)
    with pytest.raises(RevokedTokenError):
        verifier.verify_access_token(access_token)


def test_expiry_is_checked_on_every_hit(
    verifier: TokenVerifier, access_token: str, clock: ManualClock, policy: TokenPolicy
) -> None:
    """Expiry of a cached token uses the same boundary as a fresh check."""
    claims = verifier.verify_access_token(access_token)
    clock.set(claims.exp + policy.leeway - 1)
    assert verifier.verify_access_token(access_token) is claims
    clock.set(claims.exp + policy.leeway)
    with pytest.raises(ExpiredTokenError):
        verifier.verify_access_token(access_token)


def test_not_before_is_checked_on_every_hit(
    verifier: TokenVerifier, access_token: str, clock: ManualClock, policy: TokenPolicy
) -> None:
    """A clock stepped back before nbf - leeway refuses a cached token too."""
    claims = verifier.verify_access_token(access_token)
    clock.set(claims.nbf - policy.leeway - 1)
    with pytest.raises(NotYetValidError):
        verifier.verify_access_token(access_token)


def test_replacing_the_keyring_empties_the_cache(
    verifier: TokenVerifier, access_token: str, clock: ManualClock
) -> None:
    """A token cached under a key that is no longer in the ring is refused."""
    verifier.verify_access_token(access_token)
    verifier.keyring = KeyRing((generate_hmac_key("other", created_at=clock.now()),))
    with pytest.raises(UnknownKeyError):
        verifier.verify_access_token(access_token)


def test_cache_is_bounded(
    ring: KeyRing, policy: TokenPolicy, clock: ManualClock, issuer: TokenIssuer
) -> None:
    """The cache never holds more than cache_size tokens; the oldest go first."""
    verifier = TokenVerifier(ring, policy, clock, cache_size=3)
    tokens = [issuer.issue_access_token(subject=f"u_{i}", role="user").token for i in range(5)]
    for token in tokens:
        verifier.verify_access_token(token)
    cached = verifier._cache
    assert len(cached) == 3
    assert list(cached) == tokens[2:]


def test_cache_can_be_disabled(
    ring: KeyRing, policy: TokenPolicy, clock: ManualClock, access_token: str
) -> None:
    """cache_size=0 verifies from scratch every time."""
    verifier = TokenVerifier(ring, policy, clock, cache_size=0)
    first = verifier.verify_access_token(access_token)
    assert verifier.verify_access_token(access_token) is not first
    assert verifier._cache == {}


def test_failures_are_not_cached(
    verifier: TokenVerifier, access_token: str, clock: ManualClock, policy: TokenPolicy
) -> None:
    """A token refused once (not yet valid) verifies once it becomes valid."""
    early = ManualClock(clock.now() - policy.leeway - 5)
    verifier.clock = early
    with pytest.raises(NotYetValidError):
        verifier.verify_access_token(access_token)
    verifier.clock = clock
    assert verifier.verify_access_token(access_token).sub == "u_5b1e0c"


def test_negative_cache_size_is_refused(ring: KeyRing, policy: TokenPolicy) -> None:
    """A nonsensical bound is a caller mistake, reported at construction."""
    with pytest.raises(ValueError, match="cache_size"):
        TokenVerifier(ring, policy, ManualClock(), cache_size=-1)
