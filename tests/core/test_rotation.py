"""Key rotation as a pure function of (ring, now), with exact ±1 s boundaries."""

from __future__ import annotations

import dataclasses

import pytest

from authgate.core import (
    Key,
    KeyRing,
    KeyState,
    ManualClock,
    TokenIssuer,
    TokenPolicy,
    TokenVerifier,
    UnknownKeyError,
    is_rotation_due,
    retire_expired_keys,
    rotate,
)
from authgate.core.rotation import DEFAULT_ROTATION_AGE

from ._support import ALL_ALGORITHMS, HS_KID, NOW, refuse

NINETY_DAYS = 90 * 24 * 3600


@pytest.mark.parametrize(("offset", "due"), [(-1, False), (0, True), (1, True)])
def test_rotation_is_due_exactly_at_90_days(offset: int, due: bool, ring: KeyRing) -> None:
    """The active key is due for rotation from the instant it is 90 days old."""
    assert DEFAULT_ROTATION_AGE == NINETY_DAYS
    assert is_rotation_due(ring, NOW + NINETY_DAYS + offset) is due


def test_rotation_age_is_configurable(ring: KeyRing) -> None:
    """A shorter rotation age moves the boundary with it."""
    assert is_rotation_due(ring, NOW + 3599, rotation_age=3600) is False
    assert is_rotation_due(ring, NOW + 3600, rotation_age=3600) is True


def test_rotate_before_due_changes_nothing(ring: KeyRing, policy: TokenPolicy) -> None:
    """Rotating a ring whose key is not due keeps the same keys."""
    rotated = rotate(ring, NOW + NINETY_DAYS - 1, max_token_age=policy.max_token_age)
    assert rotated.keys == ring.keys
    assert rotated.active.kid == HS_KID


def test_rotate_makes_a_new_active_key_and_demotes_the_old(
    ring: KeyRing, policy: TokenPolicy
) -> None:
    """When due, a fresh 256-bit key becomes active and the old one verify-only
    with ``deactivated_at`` = now."""
    when = NOW + NINETY_DAYS
    rotated = rotate(ring, when, max_token_age=policy.max_token_age)
    old = rotated.verification_key(HS_KID)
    assert old.state is KeyState.VERIFY_ONLY
    assert old.deactivated_at == when
    assert rotated.active.kid != HS_KID
    assert rotated.active.created_at == when
    assert rotated.active.state is KeyState.ACTIVE
    assert isinstance(rotated.active.material, bytes)
    assert len(rotated.active.material) == 32
    assert len(rotated.keys) == 2


def test_force_rotates_a_fresh_key(ring: KeyRing, policy: TokenPolicy) -> None:
    """``force=True`` rotates even when the key is brand new."""
    rotated = rotate(ring, NOW + 1, max_token_age=policy.max_token_age, force=True)
    assert rotated.active.kid != HS_KID
    assert rotated.verification_key(HS_KID).deactivated_at == NOW + 1


def test_given_new_key_becomes_active_whatever_its_state(
    ring: KeyRing, ec_key: Key, policy: TokenPolicy
) -> None:
    """``new_key`` is made active, and verify-only state it came with is dropped."""
    ring = KeyRing(ring.keys, ALL_ALGORITHMS)
    incoming = dataclasses.replace(ec_key, state=KeyState.VERIFY_ONLY, deactivated_at=NOW)
    rotated = rotate(ring, NOW, max_token_age=policy.max_token_age, force=True, new_key=incoming)
    assert rotated.active.kid == ec_key.kid
    assert rotated.active.deactivated_at is None


def test_tokens_signed_before_rotation_still_verify(
    issuer: TokenIssuer, ring: KeyRing, policy: TokenPolicy, clock: ManualClock
) -> None:
    """Rotation keeps the old key for verification: outstanding access and
    refresh tokens keep working, and new tokens use the new key."""
    access = issuer.issue_access_token(subject="u_1", role="user").token
    refresh = issuer.issue_refresh_token(subject="u_1", session_id="s").token
    rotated = rotate(ring, clock.now(), max_token_age=policy.max_token_age, force=True)
    verifier = TokenVerifier(rotated, policy, clock)
    assert verifier.verify_access_token(access).kid == HS_KID
    assert verifier.verify_refresh_token(refresh).kid == HS_KID
    fresh = TokenIssuer(rotated, policy, clock).issue_access_token(subject="u_1", role="user")
    assert fresh.claims.kid == rotated.active.kid != HS_KID


@pytest.mark.parametrize(("offset", "retired"), [(-1, False), (0, True)])
def test_verify_only_key_is_retired_exactly_when_its_last_token_expired(
    offset: int,
    retired: bool,
    issuer: TokenIssuer,
    ring: KeyRing,
    policy: TokenPolicy,
    clock: ManualClock,
) -> None:
    """A key deactivated at T is kept until T + max_token_age (longest lifetime
    + leeway), when the last token it signed stops verifying anyway; from then
    on it is retired and its tokens are refused as unknown keys."""
    refresh = issuer.issue_refresh_token(subject="u_1", session_id="s").token  # signed at T
    rotated = rotate(ring, NOW, max_token_age=policy.max_token_age, force=True)
    when = NOW + policy.max_token_age + offset
    clock.set(when)
    later = rotate(rotated, when, max_token_age=policy.max_token_age)
    verifier = TokenVerifier(later, policy, clock)
    state = next(k.state for k in later.keys if k.kid == HS_KID)
    if retired:
        assert state is KeyState.RETIRED
        refuse(UnknownKeyError, lambda: verifier.verify_refresh_token(refresh), token=refresh)
    else:
        assert state is KeyState.VERIFY_ONLY
        assert verifier.verify_refresh_token(refresh).kid == HS_KID


def test_verify_only_key_without_deactivation_time_is_kept(ring: KeyRing) -> None:
    """Nobody can say when such a key's last token expires, so it stays."""
    undated = Key(
        kid="kid-undated", alg="HS256", material=bytes(range(32)), state=KeyState.VERIFY_ONLY
    )
    ring = ring.replace((*ring.keys, undated))
    kept = retire_expired_keys(ring, NOW + 10 * NINETY_DAYS, max_token_age=1)
    assert kept.verification_key("kid-undated").state is KeyState.VERIFY_ONLY


def test_retired_keys_stay_retired(ring: KeyRing, policy: TokenPolicy) -> None:
    """Rotation never brings a retired key back."""
    rotated = rotate(ring, NOW, max_token_age=policy.max_token_age, force=True)
    late = NOW + policy.max_token_age
    retired = rotate(rotated, late, max_token_age=policy.max_token_age)
    again = rotate(retired, late + NINETY_DAYS, max_token_age=policy.max_token_age)
    assert next(k.state for k in again.keys if k.kid == HS_KID) is KeyState.RETIRED
    refuse(UnknownKeyError, lambda: again.verification_key(HS_KID), kids=[HS_KID])


def test_rotation_is_pure(ring: KeyRing, policy: TokenPolicy) -> None:
    """``rotate`` returns a new ring and leaves its argument untouched."""
    before = ring.keys
    rotate(ring, NOW, max_token_age=policy.max_token_age, force=True)
    assert ring.keys == before
    assert ring.active.kid == HS_KID
