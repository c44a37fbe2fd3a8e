"""``authgate serve`` refuses unsafe production settings, and ``--dev`` runs
loudly: through the installed console script, in a clean environment."""

from __future__ import annotations

import json
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from authgate.core.keyconfig import keyring_from_json

from ._console import AUTHGATE, Command, Result, clean_env, run_many

GOOD_SECRET = "kq3v9ZP0cR7wYb2LmT8xN4sJd6HfA1gE5uQoWiXzC0k"
STRONG_PASSWORD = "Quartz-Lantern-Velvet-7319"


@dataclass(frozen=True)
class Refusal:
    settings: dict[str, str]
    fix: tuple[str, ...]  # all of these must be on one "refused:" line
    secret: str | None = None  # must not be printed


CASES: dict[str, Refusal] = {
    "no key": Refusal({}, ("no signing key", "AUTHGATE_JWT_SECRET", "authgate keys generate")),
    "the word secret": Refusal(
        {"JWT_SECRET": "secret"},
        ("AUTHGATE_JWT_SECRET", "at least 32", "authgate keys generate"),
    ),
    "jwt.io example": Refusal(
        {"JWT_SECRET": "your-256-bit-secret"},
        ("AUTHGATE_JWT_SECRET", "authgate keys generate"),
        secret="your-256-bit-secret",
    ),
    "insecure cookies": Refusal(
        {"JWT_SECRET": GOOD_SECRET, "COOKIE_SECURE": "false"},
        ("AUTHGATE_COOKIE_SECURE=false", "HTTPS"),
        secret=GOOD_SECRET,
    ),
    "wildcard CORS": Refusal(
        {"JWT_SECRET": GOOD_SECRET, "CORS_ORIGINS": "*"},
        ("AUTHGATE_CORS_ORIGINS='*'", "list the frontend origins explicitly"),
        secret=GOOD_SECRET,
    ),
    "http public URL": Refusal(
        {"JWT_SECRET": GOOD_SECRET, "PUBLIC_URL": "http://auth.example.test"},
        ("AUTHGATE_PUBLIC_URL", "https://"),
        secret=GOOD_SECRET,
    ),
}


ALL_AT_ONCE = "several problems"


@dataclass(frozen=True)
class Run:
    result: Result
    directory: Path


@pytest.fixture(scope="module")
def refusals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every case of CASES, a few at a time (each is a fresh interpreter)."""
    settings = {name: case.settings for name, case in CASES.items()}
    settings[ALL_AT_ONCE] = {
        "COOKIE_SECURE": "false",
        "CORS_ORIGINS": "*",
        "PUBLIC_URL": "http://x.example",
    }
    directories = {name: tmp_path_factory.mktemp("refusal") for name in settings}
    commands = [
        Command(["serve"], clean_env(directories[name], **values), directories[name])
        for name, values in settings.items()
    ]
    results = run_many(commands)
    return {
        name: Run(result, directories[name]) for name, result in zip(settings, results, strict=True)
    }


@pytest.mark.parametrize("name", list(CASES))
def test_serve_refuses_unsafe_production_settings(refusals: dict[str, Run], name: str) -> None:
    """Outside --dev each unsafe setting stops the server quickly, non-zero,
    before touching the database, with one line that names the fix, and
    without printing the secret."""
    case, run = CASES[name], refusals[name].result
    assert run.returncode != 0, run.stderr
    assert run.seconds < 30  # generous for loaded CI machines; a server would never exit
    lines = [line for line in run.stderr.splitlines() if line.startswith("refused: ")]
    assert any(all(part in line for part in case.fix) for line in lines), run.stderr
    assert "Traceback" not in run.stderr
    assert "authgate did not start" in run.stderr
    assert not (refusals[name].directory / "authgate.db").exists()
    printed = run.stdout + run.stderr
    if case.secret is not None:
        assert case.secret not in printed
    if name == "the word secret":
        assert "=secret" not in printed
        assert "'secret'" not in printed
    for line in run.stdout.splitlines():  # the refusals are logged as JSON events too
        assert json.loads(line)["event"] == "config.refused"


def test_serve_reports_every_problem_at_once(refusals: dict[str, Run]) -> None:
    """Several unsafe settings are reported together, one line each."""
    run = refusals[ALL_AT_ONCE].result
    assert run.returncode != 0
    refused = [line for line in run.stderr.splitlines() if line.startswith("refused: ")]
    joined = "\n".join(refused)
    for setting in ("no signing key", "COOKIE_SECURE", "CORS_ORIGINS", "PUBLIC_URL"):
        assert setting in joined, run.stderr
    assert len(refused) == 4, run.stderr


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class DevServer:
    process: subprocess.Popen[str]
    url: str

    def wait_until_up(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"authgate --dev exited: {self.process.communicate()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError("authgate --dev did not come up")

    def terminate(self) -> tuple[str, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.communicate()


StartDev = Callable[..., DevServer]


@pytest.fixture
def start_dev() -> Iterator[StartDev]:
    servers: list[DevServer] = []

    def start(directory: Path, **settings: str) -> DevServer:
        port = _free_port()
        process = subprocess.Popen(  # noqa: S603
            [AUTHGATE, "serve", "--dev", "--host", "127.0.0.1", "--port", str(port)],
            env=clean_env(directory, **settings),
            cwd=directory,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        server = DevServer(process, f"http://127.0.0.1:{port}")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.terminate()


def test_dev_mode_without_a_key_generates_one_and_says_so(
    tmp_path: Path, start_dev: StartDev
) -> None:
    """``--dev`` without a key starts anyway: it writes a dev key file (mode
    0600, a valid key ring), prints a loud DEVELOPMENT banner naming it, and
    serves /healthz."""
    key_file = tmp_path / "keys" / "dev-keys.json"
    server = start_dev(tmp_path, DEV_KEY_FILE=str(key_file))
    server.wait_until_up()
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    ring = keyring_from_json(key_file.read_text(encoding="utf-8"))
    assert ring.active.alg == "HS256"
    _, stderr = server.terminate()
    banner = " ".join(stderr.split())  # rich may wrap the banner
    assert "DEVELOPMENT mode" in banner
    assert "generated a new signing key" in banner
    assert str(key_file) in "".join(stderr.split())  # the path, even if wrapped
    assert "Never use --dev in production" in banner


def test_dev_instances_sharing_a_secret_accept_each_others_tokens(
    tmp_path: Path, start_dev: StartDev
) -> None:
    """``--dev`` with AUTHGATE_JWT_SECRET signs with that secret, not a dev
    key: two instances sharing it (and the issuer) accept each other's tokens."""
    shared = {"JWT_SECRET": GOOD_SECRET, "PUBLIC_URL": "http://localhost:8000"}
    key_file = tmp_path / "dev-keys.json"
    one_dir, two_dir = tmp_path / "one", tmp_path / "two"
    one_dir.mkdir()
    two_dir.mkdir()
    one = start_dev(one_dir, DEV_KEY_FILE=str(key_file), **shared)
    two = start_dev(two_dir, DEV_KEY_FILE=str(key_file), **shared)
    one.wait_until_up()
    two.wait_until_up()
    bearer = {"X-Auth-Transport": "bearer"}
    credentials = {"email": "dev@example.test", "password": STRONG_PASSWORD}
    with httpx.Client(base_url=one.url, headers=bearer) as client:
        assert client.post("/auth/register", json=credentials).status_code == 201
        tokens = client.post("/auth/login", json=credentials).json()
    with httpx.Client(base_url=two.url) as client:
        verified = client.get(
            "/auth/verify", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
    assert verified.status_code == 200, verified.text
    assert not key_file.exists()
    for server in (one, two):
        _, stderr = server.terminate()
        assert "DEVELOPMENT mode" in " ".join(stderr.split())
        assert GOOD_SECRET not in stderr
