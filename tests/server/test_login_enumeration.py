"""Login does not reveal whether an account exists.

Timing is not measured (too noisy for CI); instead the tests pin what makes
the timing equal: the unknown-user path runs one real argon2id verification
with the same parameters as a real user's, off the event loop, and every
refusal is byte-for-byte the same response.
"""

from __future__ import annotations

import threading
from typing import Any, Literal

import argon2
import httpx
import pytest

from ._fixtures import Account
from ._live import STRONG_PASSWORD, ApiClient, LiveServer, unique_email

WRONG = "Wrong-Horse-Battery-1"


class RecordingArgon2(argon2.PasswordHasher):
    """argon2-cffi's hasher, noting which hash each verification ran against
    and on which thread."""

    def __init__(self, **parameters: Any) -> None:
        super().__init__(**parameters)
        self.calls: list[tuple[str, str]] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.calls.append((str(hash), threading.current_thread().name))
        return super().verify(hash, password)


@pytest.fixture
def recorder(server: LiveServer) -> RecordingArgon2:
    hasher = server.runtime.accounts.hasher
    profile = hasher.profile
    spy = RecordingArgon2(
        time_cost=profile.time_cost,
        memory_cost=profile.memory_cost,
        parallelism=profile.parallelism,
        hash_len=profile.hash_len,
        salt_len=profile.salt_len,
        type=argon2.Type.ID,
    )
    hasher._hasher = spy
    return spy


def _parameters(encoded: str) -> str:
    """``$argon2id$v=19$m=...,t=...,p=...`` of an encoded hash (salt, hash cut)."""
    return "$".join(encoded.split("$")[:4])


def _login(api: ApiClient, email: str, password: str) -> httpx.Response:
    return api.post("/auth/login", json={"email": email, "password": password}, auth=False)


def test_unknown_user_runs_a_real_argon2_verification(
    server: LiveServer, api: ApiClient, account: Account, recorder: RecordingArgon2
) -> None:
    """An unknown email costs one argon2id verification with the same
    parameters as a real account's, in the hashing pool (never the loop)."""
    user = server.call(server.runtime.accounts.users.get_by_email(account.email))
    assert user is not None
    _login(api, unique_email("ghost"), WRONG)
    assert len(recorder.calls) == 1
    dummy_hash, thread = recorder.calls[0]
    assert _parameters(dummy_hash) == _parameters(user.password_hash)
    assert dummy_hash.startswith("$argon2id$")
    assert dummy_hash != user.password_hash
    assert thread.startswith("authgate-argon2")  # the niced pool, not the loop thread

    _login(api, account.email, WRONG)
    assert len(recorder.calls) == 2
    real_hash, thread = recorder.calls[1]
    assert real_hash == user.password_hash
    assert thread.startswith("authgate-argon2")  # the niced pool, not the loop thread
    assert server.event_codes("login.failed") == ["invalid_credentials"] * 2


def test_refusals_are_identical_for_unknown_user_wrong_password_and_disabled(
    server: LiveServer, api: ApiClient, account: Account
) -> None:
    """Unknown email, wrong password and disabled account get byte-identical
    responses: same status, headers and body."""
    disabled = unique_email("disabled")
    disabled_id = api.register(disabled, STRONG_PASSWORD)["id"]
    server.call(server.runtime.accounts.set_disabled(disabled_id, True))
    responses = [
        _login(api, unique_email("ghost"), WRONG),
        _login(api, account.email, WRONG),
        _login(api, disabled, STRONG_PASSWORD),
    ]
    first = responses[0]
    assert first.status_code == 401
    for response in responses[1:]:
        assert response.status_code == first.status_code
        assert response.content == first.content
        assert _comparable(response.headers) == _comparable(first.headers)
    assert first.json()["detail"] == "email or password is incorrect"


def test_a_disabled_account_cannot_log_in(
    server: LiveServer, api: ApiClient, account: Account
) -> None:
    """Disabling blocks login with the right password; enabling restores it."""
    server.call(server.runtime.accounts.set_disabled(account.id, True))
    assert _login(api, account.email, account.password).status_code == 401
    server.call(server.runtime.accounts.set_disabled(account.id, False))
    assert _login(api, account.email, account.password).status_code == 200


def _comparable(headers: httpx.Headers) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in headers.items() if k not in {"date"})
