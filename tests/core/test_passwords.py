"""Password policy and argon2id hashing (owasp-minimum profile keeps tests fast)."""

from __future__ import annotations

import argon2
import pytest

from authgate.core import (
    PROFILES,
    InvalidPasswordHashError,
    PasswordHasher,
    PasswordProfile,
    WeakPasswordError,
    check_password_policy,
)
from authgate.core.passwords import MAX_PASSWORD_BYTES, _common_passwords

PASSWORD = "correct horse battery staple"
# argon2id(PASSWORD) with the owasp-minimum parameters, as a database would hold it.
STORED = (
    "$argon2id$v=19$m=19456,t=2,p=1$lWdS6DsaKByyaEXUcyRh/w"
    "$G0JXib+6zZ6llEFgVjOM3j80lSHSOczi9Bj+/5+hUQA"
)


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher(PROFILES["owasp-minimum"])


@pytest.fixture(scope="module")
def stored(hasher: PasswordHasher) -> str:
    return hasher.hash(PASSWORD)


def test_hash_then_verify(hasher: PasswordHasher, stored: str) -> None:
    """The right password verifies, a wrong one (even one character off) does not."""
    assert hasher.verify(stored, PASSWORD) is True
    assert hasher.verify(stored, PASSWORD + "!") is False
    assert hasher.verify(stored, PASSWORD.upper()) is False
    assert hasher.verify(stored, "") is False


def test_hash_is_salted_argon2id_with_the_profile_parameters(
    hasher: PasswordHasher, stored: str
) -> None:
    """Hashes are argon2id with the profile's cost, and salted (two hashes of
    one password differ)."""
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert hasher.hash(PASSWORD) != stored
    params = argon2.extract_parameters(stored)
    assert (params.salt_len, params.hash_len) == (16, 32)


def test_needs_rehash_for_other_parameters_only() -> None:
    """A hash made with weaker parameters needs upgrading; one made with the
    hasher's own parameters does not."""
    older = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash(PASSWORD)
    stronger = PasswordHasher(PasswordProfile(time_cost=3, memory_cost=19456, parallelism=1))
    assert stronger.needs_rehash(older) is True
    assert stronger.needs_rehash(stronger.hash(PASSWORD)) is False
    assert stronger.verify(older, PASSWORD) is True  # old hashes still log in


def test_dummy_verification_is_a_real_argon2_verification(hasher: PasswordHasher) -> None:
    """For unknown users a full argon2 verification runs against a hash with
    the profile's own parameters (same cost as a real login), and the answer
    is always False."""
    profile = hasher.profile
    params = argon2.extract_parameters(hasher._dummy_hash)
    assert params == argon2.Parameters(
        type=argon2.Type.ID,
        version=19,
        salt_len=profile.salt_len,
        hash_len=profile.hash_len,
        time_cost=profile.time_cost,
        memory_cost=profile.memory_cost,
        parallelism=profile.parallelism,
    )
    assert hasher.verify_dummy(PASSWORD) is False
    assert hasher.verify_dummy("") is False


@pytest.mark.parametrize(
    "bad",
    ["", "not a hash", "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"],
    ids=["empty", "text", "bcrypt"],
)
def test_non_argon2_stored_hash_is_an_error(bad: str, hasher: PasswordHasher) -> None:
    """A stored hash that is not argon2 is a caller/data error, not a wrong password."""
    with pytest.raises(InvalidPasswordHashError):
        hasher.verify(bad, PASSWORD)
    with pytest.raises(InvalidPasswordHashError):
        hasher.needs_rehash(bad)


def test_the_intact_stored_hash_verifies(hasher: PasswordHasher) -> None:
    """Control for the corruption test below: the intact hash is fine."""
    assert hasher.verify(STORED, PASSWORD) is True


@pytest.mark.parametrize(
    "corrupt",
    [
        STORED[:60],
        STORED[:40],
        "$argon2id$",
        "$argon2id$v=19$m=19456,t=2,p=1$garbage",
        STORED.replace("m=19456", "m=1"),
    ],
    ids=["truncated-60", "truncated-40", "prefix-only", "garbage-salt", "impossible-cost"],
)
def test_corrupt_argon2_hash_is_an_error_not_a_wrong_password(
    corrupt: str, hasher: PasswordHasher
) -> None:
    """A corrupted argon2 hash (e.g. truncated by a too-short column) raises
    ``InvalidPasswordHashError`` from ``verify`` — as ``needs_rehash`` does for
    hashes it cannot parse — instead of silently locking the user out with
    ``False`` (a data problem must surface, not look like a wrong password)."""
    with pytest.raises(InvalidPasswordHashError):
        hasher.verify(corrupt, PASSWORD)


def test_over_long_password_never_matches(hasher: PasswordHasher) -> None:
    """Passwords over 1024 bytes are refused for hashing and never verify —
    not even when their first 1024 bytes are the real password."""
    at_limit = "p" * MAX_PASSWORD_BYTES
    stored = hasher.hash(at_limit)
    assert hasher.verify(stored, at_limit) is True
    assert hasher.verify(stored, at_limit + "p") is False
    with pytest.raises(WeakPasswordError):
        hasher.hash(at_limit + "p")


LONE_SURROGATE = "correct horse \ud800 battery"  # what JSON "\\ud800" decodes to


def test_password_that_is_not_unicode_text_is_a_wrong_password(
    hasher: PasswordHasher, stored: str
) -> None:
    """A login body may carry a lone surrogate (valid JSON ``"\\ud800"``):
    ``verify`` and ``verify_dummy`` answer False like for any wrong password,
    never an exception (which would be a 500 and carry the password in its
    ``object`` attribute)."""
    assert hasher.verify(stored, LONE_SURROGATE) is False
    assert hasher.verify_dummy(LONE_SURROGATE) is False


def test_password_that_is_not_unicode_text_is_refused_by_policy_and_hash(
    hasher: PasswordHasher,
) -> None:
    """Registration refuses such a password up front (WeakPasswordError), so
    ``hash`` is never reached with it — and refuses it too if it is."""
    with pytest.raises(WeakPasswordError):
        check_password_policy(LONE_SURROGATE)
    with pytest.raises(WeakPasswordError):
        hasher.hash(LONE_SURROGATE)


@pytest.mark.parametrize(
    "changes",
    [
        {"time_cost": 1},
        {"memory_cost": 19 * 1024 - 1},
        {"parallelism": 0},
        {"hash_len": 15},
        {"salt_len": 15},
    ],
)
def test_profiles_below_the_owasp_floor_are_refused(changes: dict[str, int]) -> None:
    """Nothing weaker than m=19 MiB, t=2, p=1 (16-byte salt and hash) can be configured."""
    arguments = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1} | changes
    with pytest.raises(ValueError, match="OWASP"):
        PasswordProfile(**arguments)


def test_named_profiles_are_at_or_above_the_floor() -> None:
    """Both named profiles construct (so pass the floor check)."""
    assert PROFILES["owasp-minimum"] == PasswordProfile(2, 19 * 1024, 1)
    assert PROFILES["rfc9106-low-memory"].memory_cost == 64 * 1024


# --- policy ---------------------------------------------------------------------


def _reasons(password: str, **kwargs: tuple[str, ...]) -> tuple[str, ...]:
    with pytest.raises(WeakPasswordError) as info:
        check_password_policy(password, **kwargs)
    assert password not in str(info.value) or len(password) < 4
    return info.value.reasons


def test_good_password_passes() -> None:
    """A long, uncommon passphrase breaks no rule."""
    check_password_policy("violet-otter-cascade-41", user_inputs=("ada@example.com",))


@pytest.mark.parametrize(("length", "ok"), [(7, False), (8, True)])
def test_minimum_length_is_8(length: int, ok: bool) -> None:
    """Eight characters pass the length rule; seven do not."""
    password = "Zq4#vN8&wX2!"[:length]
    if ok:
        check_password_policy(password)
    else:
        assert any("at least 8" in reason for reason in _reasons(password))


def test_maximum_is_1024_bytes_not_characters() -> None:
    """The cap counts UTF-8 bytes: 513 x 'é' (1026 bytes) is too long."""
    assert any("1024 bytes" in r for r in _reasons("é" * 513))
    assert any("1024 bytes" in r for r in _reasons("Zq4#vN8&" * 129))
    check_password_policy("Zq4#vN8&" * 128)


@pytest.mark.parametrize("password", ["password1", "qwertyuiop", "Password1", "  QWERTYUIOP "])
def test_common_passwords_are_refused(password: str) -> None:
    """Passwords on the common list are refused, case and surrounding spaces aside."""
    assert password.strip().lower() in _common_passwords()
    assert "password is too common" in _reasons(password)


def test_entirely_numeric_is_refused() -> None:
    """An all-digit password is refused even when it is long and uncommon."""
    assert _reasons("80417395026") == ("password must not be entirely numeric",)


@pytest.mark.parametrize("password", ["ada.lovelace@example.com", "ada.lovelace", "ADA.LOVELACE"])
def test_email_or_its_local_part_is_refused(password: str) -> None:
    """The user's email address, or its part before '@', is not a password."""
    reasons = _reasons(password, user_inputs=("Ada.Lovelace@example.com",))
    assert "password must not be your email address" in reasons


def test_every_broken_rule_is_reported_at_once() -> None:
    """A password breaking several rules gets every reason in one error."""
    reasons = _reasons("1234")
    assert any("at least 8" in r for r in reasons)
    assert "password must not be entirely numeric" in reasons
    assert "password is too common" in reasons
