"""The in-memory revocation list: entries live until exp + leeway, then go."""

from __future__ import annotations

from authgate.core import ManualClock, MemoryRevocationList, RevocationList

from ._support import NOW


def test_memory_list_satisfies_the_protocol(clock: ManualClock) -> None:
    """The verifier accepts it wherever a ``RevocationList`` is expected."""
    assert isinstance(MemoryRevocationList(clock), RevocationList)


def test_revoked_jti_is_reported_until_exp_plus_leeway(clock: ManualClock) -> None:
    """An entry is kept while its token could still pass (exp + leeway), and
    dropped at that instant."""
    revocations = MemoryRevocationList(clock, leeway=30)
    revocations.revoke("jti-a", NOW + 900)
    revocations.prune(NOW + 929)
    assert revocations.is_revoked("jti-a") is True
    revocations.prune(NOW + 930)
    assert revocations.is_revoked("jti-a") is False
    assert len(revocations) == 0


def test_pruning_happens_on_revoke(clock: ManualClock) -> None:
    """The list never grows beyond live tokens: ``revoke`` prunes first."""
    revocations = MemoryRevocationList(clock)
    for index in range(100):
        revocations.revoke(f"jti-{index}", NOW + index)
    assert len(revocations) == 100
    clock.set(NOW + 50 + 30)
    revocations.revoke("jti-new", NOW + 900)
    assert len(revocations) == 50  # jti-51 … jti-99 and jti-new
    assert revocations.is_revoked("jti-50") is False
    assert revocations.is_revoked("jti-51") is True


def test_revoking_an_already_expired_token_stores_nothing(clock: ManualClock) -> None:
    """A token past exp + leeway is refused anyway; no entry is kept for it."""
    revocations = MemoryRevocationList(clock, leeway=30)
    revocations.revoke("jti-old", NOW - 30)
    assert len(revocations) == 0
    revocations.revoke("jti-edge", NOW - 29)
    assert revocations.is_revoked("jti-edge") is True


def test_revoking_twice_keeps_the_later_expiry(clock: ManualClock) -> None:
    """Re-revoking with an earlier expiry never shortens an entry's life."""
    revocations = MemoryRevocationList(clock, leeway=0)
    revocations.revoke("jti-a", NOW + 900)
    revocations.revoke("jti-a", NOW + 10)
    revocations.prune(NOW + 100)
    assert revocations.is_revoked("jti-a") is True
    revocations.revoke("jti-a", NOW + 2000)
    revocations.prune(NOW + 1000)
    assert revocations.is_revoked("jti-a") is True
    assert len(revocations) == 1
