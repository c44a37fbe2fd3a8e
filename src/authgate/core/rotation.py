"""Scheduled key rotation as a pure function of (key ring, now).

Rotation creates a new active key and demotes the old one to verify-only; a
verify-only key is retired only once every token it signed must have expired,
i.e. ``deactivated_at + max token lifetime + leeway`` has passed.  The caller
persists the returned ring (secret store, Kubernetes secret) — nothing here
does I/O.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from authgate.core.keys import Key, KeyRing, KeyState, generate_hmac_key

__all__ = ["DEFAULT_ROTATION_AGE", "is_rotation_due", "retire_expired_keys", "rotate"]

DEFAULT_ROTATION_AGE: Final = 90 * 24 * 3600.0  # quarterly


def is_rotation_due(
    ring: KeyRing, now: float, *, rotation_age: float = DEFAULT_ROTATION_AGE
) -> bool:
    """Whether the active key is at least ``rotation_age`` seconds old."""
    return now - ring.active.created_at >= rotation_age


def retire_expired_keys(ring: KeyRing, now: float, *, max_token_age: float) -> KeyRing:
    """Retire verify-only keys whose tokens have all expired.

    ``max_token_age`` is the longest token lifetime plus the clock-skew
    leeway; a key deactivated at ``t`` can still have live tokens until
    ``t + max_token_age``.  A verify-only key without ``deactivated_at`` is
    kept: nobody can say when its last token expires.
    """
    keys = tuple(
        dataclasses.replace(key, state=KeyState.RETIRED)
        if key.state is KeyState.VERIFY_ONLY
        and key.deactivated_at is not None
        and now >= key.deactivated_at + max_token_age
        else key
        for key in ring.keys
    )
    return ring.replace(keys)


def rotate(
    ring: KeyRing,
    now: float,
    *,
    max_token_age: float,
    rotation_age: float = DEFAULT_ROTATION_AGE,
    force: bool = False,
    new_key: Key | None = None,
) -> KeyRing:
    """Rotate if due (or ``force``), then retire keys whose tokens expired.

    ``new_key`` defaults to a fresh 256-bit HS256 key created at ``now``; it
    is made active whatever state it was given in.
    """
    keys = list(ring.keys)
    if force or is_rotation_due(ring, now, rotation_age=rotation_age):
        fresh = new_key or generate_hmac_key(created_at=now)
        keys = [
            dataclasses.replace(k, state=KeyState.VERIFY_ONLY, deactivated_at=now)
            if k.state is KeyState.ACTIVE
            else k
            for k in keys
        ]
        keys.append(dataclasses.replace(fresh, state=KeyState.ACTIVE, deactivated_at=None))
    return retire_expired_keys(ring.replace(keys), now, max_token_age=max_token_age)
