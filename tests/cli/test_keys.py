"""``authgate keys generate``: output the key loaders (and a server) accept."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from authgate.core.keyconfig import keyring_from_json, keyring_from_secret
from server._console import Command, Result, clean_env, run_many
from server._fixtures import MakeApi, MakeServer
from server._live import unique_email

from ._support import STRONG_PASSWORD

RUNS = {
    "plain": ["keys", "generate"],
    "versioned with kid": ["keys", "generate", "--versioned", "--kid", "2026-q4"],
    "bad kid": ["keys", "generate", "--versioned", "--kid", "bad kid!"],
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    """Every run at once; ``keys generate`` needs no settings at all."""
    directory = tmp_path_factory.mktemp("keys")
    env = clean_env(directory)
    del env["AUTHGATE_DATABASE_URL"]
    results = run_many([Command(args, env, directory) for args in RUNS.values()])
    assert not list(directory.iterdir())  # generating a key writes no file
    return dict(zip(RUNS, results, strict=True))


def test_plain_key_is_256_random_bits_the_loader_accepts(generated: dict[str, Result]) -> None:
    """The plain form is one line of base64url (43 characters, 32 bytes)
    accepted as AUTHGATE_JWT_SECRET."""
    result = generated["plain"]
    assert result.returncode == 0, result.stderr
    secret = result.stdout.strip()
    assert result.stdout == secret + "\n"
    assert len(secret) == 43
    assert len(base64.urlsafe_b64decode(secret + "=")) == 32
    ring = keyring_from_secret(secret)
    assert ring.active.alg == "HS256"
    assert result.stderr == ""
    versioned = json.loads(generated["versioned with kid"].stdout)["keys"][0]["secret"]
    assert secret != versioned


def test_versioned_key_set_is_accepted_by_the_loader(generated: dict[str, Result]) -> None:
    """``--versioned`` prints an AUTHGATE_JWT_KEYS document with one active
    HS256 key (``--kid`` names it) that the loader accepts."""
    result = generated["versioned with kid"]
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    (entry,) = document["keys"]
    assert entry["kid"] == "2026-q4"
    assert entry["alg"] == "HS256"
    assert entry["state"] == "active"
    assert entry["created_at"].endswith("Z")
    assert len(base64.urlsafe_b64decode(entry["secret"] + "=")) == 32
    ring = keyring_from_json(result.stdout)
    assert ring.active.kid == "2026-q4"


def test_a_bad_kid_is_refused(generated: dict[str, Result]) -> None:
    """An invalid ``--kid`` fails with one clear line and prints no key."""
    result = generated["bad kid"]
    assert result.returncode != 0
    assert result.stdout == ""
    assert [line for line in result.stderr.splitlines() if line] == [
        "error: kid must be 1-64 characters from A-Z a-z 0-9 . _ -"
    ]


def test_a_server_runs_on_the_generated_keys(
    generated: dict[str, Result], make_server: MakeServer, make_api: MakeApi, tmp_path: Path
) -> None:
    """A server configured with the generated key set issues tokens under
    its kid and verifies them."""
    keys = generated["versioned with kid"].stdout
    server = make_server(jwt_secret=None, jwt_keys=keys)
    api = make_api(server)
    email = unique_email()
    api.register(email, STRONG_PASSWORD)
    api.login(email, STRONG_PASSWORD)
    header = json.loads(base64.urlsafe_b64decode((api.access_token or "").split(".")[0] + "=="))
    assert header["kid"] == "2026-q4"
    assert api.get("/auth/verify").status_code == 200
