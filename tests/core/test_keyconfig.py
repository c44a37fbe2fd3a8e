"""Key rings from configuration text: weak secrets refused, JSON round trips."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from authgate.core import (
    Key,
    KeyRing,
    KeyringError,
    KeyState,
    ManualClock,
    TokenIssuer,
    TokenPolicy,
    TokenVerifier,
    WeakSecretError,
    check_secret_strength,
    keyring_from_json,
    keyring_from_secret,
    keyring_to_json,
    load_or_create_dev_keyring,
)
from authgate.core.keys import GENERATE_HINT

from ._support import ALL_ALGORITHMS, NOW, assert_no_leak

WEAK_SECRETS = [
    "secret",
    "changeme",
    "your-256-bit-secret",
    "a-string-secret-at-least-256-bits-long",
    "your-super-secret-jwt-token-with-at-least-32-characters-long",
    "secret" * 8,
    "SecretSecretSecretSecretSecretSecret",
    "changeme" * 4,
    "  changemechangemechangemechangeme  ",
    "a" * 40,
    "0123456789" * 4,
    "abababababababababababababababababab",
    "x" * 31,
]


def _strong() -> str:
    return secrets.token_urlsafe(32)


@pytest.mark.parametrize("secret", WEAK_SECRETS)
def test_weak_secrets_are_refused_with_advice_and_without_echo(secret: str) -> None:
    """Short, well-known (jwt.io, tutorials), repeated or low-variety secrets are
    refused; the message says how to generate one and never repeats the secret."""
    with pytest.raises(WeakSecretError) as info:
        keyring_from_secret(secret)
    message = str(info.value)
    assert "authgate keys generate" in message
    # The fixed advice mentions `secrets.token_urlsafe`; nothing else may echo input.
    assert secret.strip() not in message.replace(GENERATE_HINT, "")
    assert_no_leak(info.value, secrets=[secret] if len(secret) >= 8 else [])


def test_secret_that_is_not_utf8_text_is_a_keyring_error() -> None:
    """An environment variable holding non-UTF-8 bytes reaches Python as lone
    surrogates (surrogateescape); that is a configuration error with a clear
    ``KeyringError``, not a ``UnicodeEncodeError`` carrying the secret."""
    secret = _strong() + "\udcff"
    with pytest.raises(KeyringError) as info:
        keyring_from_secret(secret)
    assert_no_leak(info.value, secrets=[secret[:-1]])


def test_strong_secret_makes_a_one_key_hs256_ring() -> None:
    """A random 256-bit secret becomes the ring's only, active HS256 key."""
    secret = _strong()
    ring = keyring_from_secret(secret, created_at=NOW)
    assert ring.active.alg == "HS256"
    assert ring.active.material == secret.encode()
    assert ring.active.created_at == NOW
    assert len(ring.keys) == 1


def test_secret_kid_is_stable_distinct_and_not_a_plain_hash() -> None:
    """Instances sharing a secret agree on its kid; different secrets get
    different kids; the kid is domain-separated, not a bare SHA-256 prefix."""
    first, second = _strong(), _strong()
    kid = keyring_from_secret(first).active.kid
    assert kid == keyring_from_secret(first).active.kid
    assert kid != keyring_from_secret(second).active.kid
    assert kid.startswith("hs256-")
    assert first not in kid
    assert hashlib.sha256(first.encode()).hexdigest()[:16] not in kid


def test_check_secret_strength_accepts_random_bytes() -> None:
    """32 random bytes always pass (distinctness, no known default)."""
    for _ in range(50):
        check_secret_strength(secrets.token_bytes(32))


# --- versioned JSON -----------------------------------------------------------------


def _ring(active_alg: str) -> KeyRing:
    keys = {
        "HS256": Key(kid="hs-1", alg="HS256", material=secrets.token_bytes(32), created_at=NOW),
        "ES256": Key(
            kid="ec-1",
            alg="ES256",
            material=ec.generate_private_key(ec.SECP256R1()),
            created_at=NOW,
        ),
        "EdDSA": Key(
            kid="ed-1", alg="EdDSA", material=ed25519.Ed25519PrivateKey.generate(), created_at=NOW
        ),
    }
    states = []
    for alg, key in keys.items():
        if alg == active_alg:
            states.append(key)
        else:
            states.append(
                dataclasses.replace(key, state=KeyState.VERIFY_ONLY, deactivated_at=NOW + 3600)
            )
    retired = dataclasses.replace(
        Key(kid="hs-0", alg="HS256", material=secrets.token_bytes(32), created_at=NOW - 86_400),
        state=KeyState.RETIRED,
        deactivated_at=NOW - 3600,
    )
    return KeyRing((*states, retired), ALL_ALGORITHMS)


@pytest.mark.parametrize("active_alg", ["HS256", "ES256", "EdDSA"])
def test_json_round_trip_keeps_every_key(active_alg: str, clock: ManualClock) -> None:
    """``keyring_from_json(keyring_to_json(ring))`` keeps kid, alg, state and
    times of every key, and tokens signed on either side verify on the other."""
    ring = _ring(active_alg)
    loaded = keyring_from_json(keyring_to_json(ring), allowed_algorithms=ALL_ALGORITHMS)
    summary = [(k.kid, k.alg, k.state, k.created_at, k.deactivated_at) for k in ring.keys]
    assert [(k.kid, k.alg, k.state, k.created_at, k.deactivated_at) for k in loaded.keys] == summary
    assert loaded.active.alg == active_alg
    policy = TokenPolicy(issuer="https://auth.example.test", audience="https://api.example.test")
    for signer, checker in ((ring, loaded), (loaded, ring)):
        token = TokenIssuer(signer, policy, clock).issue_access_token(subject="u_1", role="r").token
        assert TokenVerifier(checker, policy, clock).verify_access_token(token).sub == "u_1"


def test_json_with_verify_only_public_key_cannot_be_exported(
    hs_key: Key, ec_private: ec.EllipticCurvePrivateKey
) -> None:
    """The versioned form holds private keys; a public-only key is refused."""
    public = Key(
        kid="ec-pub", alg="ES256", material=ec_private.public_key(), state=KeyState.VERIFY_ONLY
    )
    with pytest.raises(KeyringError):
        keyring_to_json(KeyRing((hs_key, public), ALL_ALGORITHMS))


@pytest.mark.parametrize(
    "text",
    ["", "{", "null", "[]", '"keys"', "{}", '{"keys": []}', '{"keys": {}}', '{"keys": "x"}'],
)
def test_json_that_is_not_a_key_set_is_refused(text: str) -> None:
    """Anything but a non-empty ``{"keys": [...]}`` document is refused."""
    with pytest.raises(KeyringError):
        keyring_from_json(text)


def _entry(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "kid": "k-1",
        "alg": "HS256",
        "state": "active",
        "created_at": "2027-01-15T08:00:00Z",
        "secret": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("="),
    }
    for name, value in changes.items():
        if value is ...:
            entry.pop(name, None)
        else:
            entry[name] = value
    return entry


def test_every_bad_entry_is_reported_at_once() -> None:
    """All entry problems come in one error, each prefixed with its index:
    unknown field, bad state, naive timestamp, weak secret, bad kid."""
    weak = base64.urlsafe_b64encode(b"secret" * 6).decode()
    entries = [
        _entry(kid="k-0", colour="blue"),
        _entry(kid="k-1", state="paused"),
        _entry(kid="k-2", created_at="2027-01-15T08:00:00"),
        _entry(kid="k-3", secret=weak),
        _entry(kid="../k-4"),
    ]
    with pytest.raises(KeyringError) as info:
        keyring_from_json(json.dumps({"keys": entries}))
    message = str(info.value)
    for index, fragment in enumerate(
        ["unknown field(s): colour", "state must be", "time zone", "well-known default", "kid must"]
    ):
        assert f"keys[{index}]: " in message
        assert fragment in message, fragment
    for entry in entries:
        assert entry["secret"] not in message
    assert "secret" * 6 not in message


@pytest.mark.parametrize(
    "changes",
    [
        {"created_at": "2027-01-15T08:00:00"},
        {"deactivated_at": "2027-01-15"},
        {"created_at": 1_800_000_000},
        {"created_at": "yesterday"},
    ],
    ids=["naive", "naive-date", "number", "words"],
)
def test_timestamps_must_be_zoned_iso_8601(changes: dict[str, Any]) -> None:
    """Times are ISO 8601 with an explicit zone: a naive time is ambiguous."""
    with pytest.raises(KeyringError):
        keyring_from_json(json.dumps({"keys": [_entry(**changes)]}))


def test_z_and_offset_timestamps_mean_the_same_instant() -> None:
    """``Z`` and ``+00:00`` (and other offsets) parse to the same instant."""
    base = "2027-01-15T08:00:00"
    times = {
        keyring_from_json(json.dumps({"keys": [_entry(created_at=text)]})).active.created_at
        for text in (base + "Z", base + "+00:00", "2027-01-15T09:00:00+01:00")
    }
    assert len(times) == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"secret": ...},
        {"secret": ""},
        {"secret": 12},
        {"alg": "ES256", "secret": ...},
        {"alg": "ES256", "secret": ..., "private_key_pem": "-----BEGIN PRIVATE KEY-----\nAA\n"},
        {"alg": "none"},
        {"kid": ...},
    ],
    ids=["no-secret", "empty-secret", "number", "es256-no-pem", "es256-bad-pem", "none", "no-kid"],
)
def test_entries_missing_their_material_are_refused(changes: dict[str, Any]) -> None:
    """Each entry needs a kid and the material of its algorithm."""
    with pytest.raises(KeyringError):
        keyring_from_json(
            json.dumps({"keys": [_entry(**changes)]}), allowed_algorithms=ALL_ALGORITHMS
        )


def test_json_keys_obey_the_allowlist() -> None:
    """An ES256 key in the JSON is refused under the default {HS256} allowlist."""
    text = keyring_to_json(_ring("ES256"))
    with pytest.raises(KeyringError, match="allowlist"):
        keyring_from_json(text)


# --- development key file -------------------------------------------------------


def test_dev_keyring_is_created_0600_then_reused(tmp_path: Path) -> None:
    """The dev key file is created once with mode 0600 (and nothing else left
    behind), then reused: same kid, ``created`` False the second time."""
    path = tmp_path / "state" / "dev-keys.json"
    ring, created = load_or_create_dev_keyring(path, now=NOW)
    assert created is True
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["dev-keys.json"]
    again, created_again = load_or_create_dev_keyring(path, now=NOW + 3600)
    assert created_again is False
    assert again.active.kid == ring.active.kid
    assert again.active.material == ring.active.material
    assert again.active.created_at == NOW
