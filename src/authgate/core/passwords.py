"""Password policy and argon2id hashing.

Parameters are named profiles (argon2-cffi ``profiles``); the default is RFC
9106's low-memory profile, above OWASP's floor (m=19 MiB, t=2, p=1), which is
also offered for small machines.  Nothing weaker can be configured.

Login must cost the same whether or not the account exists (Django #20760):
:meth:`PasswordHasher.verify_dummy` runs a full verification against a hash
made with the same parameters.
"""

from __future__ import annotations

import contextlib
import gzip
import secrets
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from authgate.core.errors import InvalidPasswordHashError, WeakPasswordError

__all__ = [
    "MAX_PASSWORD_BYTES",
    "MIN_PASSWORD_LENGTH",
    "PROFILES",
    "PasswordHasher",
    "PasswordProfile",
    "check_password_policy",
]

MIN_PASSWORD_LENGTH: Final = 8
MAX_PASSWORD_BYTES: Final = 1024  # bounds hashing cost per request
_NOT_ARGON2: Final = "stored password hash is not a valid argon2 hash"


@dataclass(frozen=True, slots=True)
class PasswordProfile:
    """argon2id cost parameters; memory in KiB."""

    time_cost: int
    memory_cost: int
    parallelism: int
    hash_len: int = 32
    salt_len: int = 16

    def __post_init__(self) -> None:
        floor = PROFILES_FLOOR
        if (
            self.memory_cost < floor.memory_cost
            or self.time_cost < floor.time_cost
            or self.parallelism < 1
            or self.hash_len < 16
            or self.salt_len < 16
        ):
            raise ValueError("argon2id parameters below OWASP's minimum (m=19 MiB, t=2, p=1)")


PROFILES_FLOOR: Final = argon2.Parameters(
    type=argon2.Type.ID,
    version=19,
    salt_len=16,
    hash_len=32,
    time_cost=2,
    memory_cost=19 * 1024,
    parallelism=1,
)
PROFILES: Final = {
    "rfc9106-low-memory": PasswordProfile(time_cost=3, memory_cost=64 * 1024, parallelism=4),
    "owasp-minimum": PasswordProfile(time_cost=2, memory_cost=19 * 1024, parallelism=1),
}


@cache
def _common_passwords() -> frozenset[str]:
    data = resources.files("authgate.core").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode("utf-8").split())


def check_password_policy(password: str, *, user_inputs: tuple[str, ...] = ()) -> None:
    """Refuse a new password, listing every rule it breaks.

    Rules: at least 8 characters, at most 1024 bytes in UTF-8, not one of
    19,640 common passwords (Django's list, see ``core/data/README.md``), not
    entirely numeric, not the user's email or its local part.

    Raises:
        WeakPasswordError: with ``reasons``.
    """
    reasons: list[str] = []
    if not isinstance(password, str):
        raise WeakPasswordError(["password must be a string"])
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        reasons.append("password must be valid Unicode text")
    if len(password) < MIN_PASSWORD_LENGTH:
        reasons.append(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password.encode("utf-8", "surrogatepass")) > MAX_PASSWORD_BYTES:
        reasons.append(f"password must not exceed {MAX_PASSWORD_BYTES} bytes")
    folded = password.strip().lower()
    if folded in _common_passwords():
        reasons.append("password is too common")
    if password.isdigit():
        reasons.append("password must not be entirely numeric")
    for user_input in user_inputs:
        value = user_input.lower()
        if value and folded in (value, value.split("@", 1)[0]):
            reasons.append("password must not be your email address")
            break
    if reasons:
        raise WeakPasswordError(reasons)


class PasswordHasher:
    """argon2id hashing with a dummy path for unknown users.

    Hashing is CPU-bound for tens of milliseconds: servers call it in a worker
    thread, never on the event loop.
    """

    __slots__ = ("_dummy_hash", "_hasher", "profile")

    def __init__(self, profile: PasswordProfile = PROFILES["rfc9106-low-memory"]) -> None:
        self.profile = profile
        self._hasher = argon2.PasswordHasher(
            time_cost=profile.time_cost,
            memory_cost=profile.memory_cost,
            parallelism=profile.parallelism,
            hash_len=profile.hash_len,
            salt_len=profile.salt_len,
            type=argon2.Type.ID,
        )
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(32))

    def hash(self, password: str) -> str:
        """Hash a password that already passed :func:`check_password_policy`.

        Raises:
            WeakPasswordError: over 1024 bytes, or not encodable as UTF-8.
        """
        try:
            encoded = password.encode("utf-8")
        except UnicodeEncodeError:
            raise WeakPasswordError(["password must be valid Unicode text"]) from None
        if len(encoded) > MAX_PASSWORD_BYTES:
            raise WeakPasswordError([f"password must not exceed {MAX_PASSWORD_BYTES} bytes"])
        return self._hasher.hash(encoded)

    def verify(self, stored_hash: str, password: str) -> bool:
        """``True`` only if ``password`` matches; comparison is constant time.

        An over-long password is refused after a dummy verification, so the
        answer takes as long as a real one.

        Raises:
            InvalidPasswordHashError: ``stored_hash`` is not a usable argon2 hash.
        """
        encoded = password.encode("utf-8", "surrogatepass")
        if len(encoded) > MAX_PASSWORD_BYTES:
            return self.verify_dummy(password[:MAX_PASSWORD_BYTES])
        try:
            return self._hasher.verify(stored_hash, encoded)
        except VerifyMismatchError:
            return False
        except (InvalidHashError, VerificationError):
            # A corrupt stored hash is a data problem, not a wrong password.
            raise InvalidPasswordHashError(_NOT_ARGON2) from None

    def verify_dummy(self, password: str) -> bool:
        """Spend a real verification's time for an unknown user; always False."""
        with contextlib.suppress(VerificationError):
            self._hasher.verify(self._dummy_hash, password.encode("utf-8", "surrogatepass"))
        return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """Whether a stored hash uses older parameters and should be upgraded."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            raise InvalidPasswordHashError(_NOT_ARGON2) from None
