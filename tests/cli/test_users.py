"""``authgate users ...`` through the console script, on a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest

from authgate.bootstrap import build_runtime
from authgate.config import Settings
from authgate.service.events import MemorySink
from server._console import Command, Result, clean_env, run_many
from server._fixtures import MakeApi, MakeBrowser, MakeServer
from server._live import assert_problem, make_settings, unique_email

from ._support import STRONG_PASSWORD, Authgate, count_users, stored_users


def test_user_lifecycle(authgate: Authgate, database: Path) -> None:
    """create (password from stdin, stored only as an argon2id hash), set-role,
    disable and list; users are found by id or by email in any case.
    (``enable`` is exercised in test_disabling_a_user_revokes_their_sessions.)"""
    created = authgate(
        "users",
        "create",
        "Ada@Example.test",
        "--role",
        "admin",
        "--password-stdin",
        stdin=STRONG_PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    (row,) = stored_users(database)
    user_id = row["id"]
    assert created.stdout.split() == ["created", user_id, "Ada@Example.test", "(admin)"]
    assert row["role"] == "admin"
    assert row["password_hash"].startswith("$argon2id$")
    assert STRONG_PASSWORD not in json.dumps(row)
    assert STRONG_PASSWORD not in created.stdout + created.stderr

    demoted = authgate("users", "set-role", "ada@EXAMPLE.test", "user")
    assert demoted.returncode == 0, demoted.stderr
    assert demoted.stdout.split() == [user_id, "is", "now", "user"]
    disabled = authgate("users", "disable", user_id)
    assert disabled.returncode == 0, disabled.stderr
    assert disabled.stdout.split() == ["disabled", user_id]

    listed = authgate("users", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    records = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
    assert records == [
        {"id": user_id, "email": "Ada@Example.test", "role": "user", "disabled": True}
    ]
    (row,) = stored_users(database)
    assert (row["role"], bool(row["disabled"])) == ("user", True)


@dataclass(frozen=True)
class BadCase:
    args: tuple[str, ...]
    message: str
    stdin: str | None = None


EXISTING = "ada@example.test"
BAD_CASES: dict[str, BadCase] = {
    "weak password": BadCase(
        ("users", "create", "new@example.test", "--password-stdin"),
        "password is too common",
        "password\n",
    ),
    "bad email": BadCase(
        ("users", "create", "not-an-email", "--password-stdin"),
        "email must be an address",
        STRONG_PASSWORD + "\n",
    ),
    "duplicate email (other case)": BadCase(
        ("users", "create", "ADA@Example.Test", "--password-stdin"),
        "already registered",
        STRONG_PASSWORD + "\n",
    ),
    "unknown user": BadCase(("users", "disable", "nobody@example.test"), "no such user"),
    "unknown role": BadCase(("users", "set-role", EXISTING, "root"), "role must be one of"),
}


@dataclass(frozen=True)
class BadRuns:
    results: dict[str, Result]
    database: Path
    before: list[dict[str, object]]


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory: pytest.TempPathFactory) -> BadRuns:
    """One existing user, then every bad command (a few at a time)."""
    directory = tmp_path_factory.mktemp("cli-bad")
    secret = secrets.token_urlsafe(32)
    database = directory / "authgate.db"
    asyncio.run(_create_user(make_settings(database, secret), EXISTING))
    env = clean_env(directory, JWT_SECRET=secret, PASSWORD_PROFILE="owasp-minimum")
    before = stored_users(database)
    commands = [Command(list(c.args), env, directory, c.stdin) for c in BAD_CASES.values()]
    results = dict(zip(BAD_CASES, run_many(commands), strict=True))
    return BadRuns(results, database, before)


async def _create_user(settings: Settings, email: str) -> None:
    runtime = await build_runtime(settings, events=MemorySink())
    try:
        await runtime.accounts.create(email, STRONG_PASSWORD)
    finally:
        await runtime.aclose()


@pytest.mark.parametrize("name", list(BAD_CASES))
def test_bad_input_fails_cleanly_and_writes_nothing(bad_runs: BadRuns, name: str) -> None:
    """Weak password, bad email, duplicate, unknown user or role: non-zero
    exit, one clear ``error:`` line on stderr, nothing on stdout, no
    traceback, and the users table unchanged."""
    result = bad_runs.results[name]
    assert result.returncode != 0
    assert result.error_lines == [result.error_lines[0]], result.stderr
    line = result.error_lines[0]
    assert line.startswith("error: "), line
    assert BAD_CASES[name].message in line
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert stored_users(bad_runs.database) == bad_runs.before
    assert count_users(bad_runs.database) == 1


def test_disabling_a_user_revokes_their_sessions(
    authgate: Authgate,
    make_server: MakeServer,
    make_api: MakeApi,
    make_browser: MakeBrowser,
) -> None:
    """``users disable`` on the server's database revokes every session:
    refresh fails at once on the running server (the database is its
    source), login is refused, and after a restart the user's live access
    tokens are refused too (revocations are durable). ``enable`` restores
    login, not the revoked sessions."""
    server = make_server()
    api, browser = make_api(server), make_browser(server)
    email = unique_email()
    api.register(email, STRONG_PASSWORD)
    api.login(email, STRONG_PASSWORD)
    browser.login(email, STRONG_PASSWORD)
    access, refresh = api.access_token, api.refresh_token
    browser_access = browser.access_token

    result = authgate("users", "disable", email)
    assert result.returncode == 0, result.stderr
    assert_problem(api.refresh(), 401, "session_revoked")
    assert browser.post("/auth/refresh").status_code == 401
    login = api.post("/auth/login", json={"email": email, "password": STRONG_PASSWORD}, auth=False)
    assert_problem(login, 401, "invalid_credentials")

    server.stop()
    restarted = make_server(clock=server.clock)
    after = make_api(restarted)
    assert_problem(after.get("/auth/verify", token=access), 401, "revoked")
    assert_problem(after.get("/auth/me", token=browser_access), 401, "revoked")

    enabled = authgate("users", "enable", email)
    assert enabled.returncode == 0, enabled.stderr
    assert enabled.stdout.startswith("enabled u_")
    after.login(email, STRONG_PASSWORD)
    assert after.get("/auth/me").status_code == 200
    assert_problem(after.refresh(refresh), 401, "session_revoked")
