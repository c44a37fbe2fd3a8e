"""``authgate serve`` as real subprocesses on loopback, and bearer clients for them.

:class:`Launcher` starts instances with ``AUTHGATE_*`` settings, waits for
each ``/healthz`` with a deadline, retries on a port clash (the port is
picked free, then handed to the child), and stops every instance it started
-- SIGTERM, then SIGKILL after a deadline -- when the fixture ends, whatever
the outcome.  Each instance logs to its own file; failures show the tail.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any, Final

import httpx

from ._services import free_port

__all__ = [
    "PASSWORD",
    "PUBLIC_URL",
    "Instance",
    "Launcher",
    "Tokens",
    "authgate_command",
    "bearer",
    "client_for",
    "jwt_claims",
    "login",
    "problem_code",
    "register",
    "unique_email",
    "verify_status",
]

#: One issuer for every instance: behind a load balancer they are one service.
PUBLIC_URL: Final = "https://auth.multi.example.test"
#: Long, random-looking and not in any common-password list.
PASSWORD: Final = "Quartz-Lantern-Velvet-7319"
START_TIMEOUT: Final = 30.0
STOP_TIMEOUT: Final = 10.0
_emails = count(1)


def authgate_command() -> list[str]:
    """The console script of the environment running the tests."""
    beside = Path(sys.executable).with_name("authgate")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("authgate")
    if found is None:
        raise RuntimeError("the authgate console script is not installed")
    return [found]


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{next(_emails)}-{time.monotonic_ns() % 10**9}@example.test"


def _env_name(setting: str) -> str:
    return "AUTHGATE_" + setting.upper()


def _env_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Instance:
    """One ``authgate serve`` process on 127.0.0.1."""

    def __init__(self, name: str, settings: Mapping[str, object], workdir: Path) -> None:
        self.name = name
        self.settings = dict(settings)
        self.workdir = workdir
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / f"{name}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
        secrets_dir = self.workdir / "no-secrets"
        secrets_dir.mkdir(exist_ok=True)
        env["AUTHGATE_SECRETS_DIR"] = str(secrets_dir)
        env.update({_env_name(k): _env_value(v) for k, v in self.settings.items()})
        env["AUTHGATE_HOST"] = "127.0.0.1"
        env["AUTHGATE_PORT"] = str(self.port)
        return env

    def spawn(self) -> None:
        self.port = free_port()
        with self.log_path.open("ab") as log:
            log.write(f"--- {self.name} on port {self.port}\n".encode())
            log.flush()
            self.process = subprocess.Popen(  # noqa: S603 - our own console script
                [*authgate_command(), "serve"],
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_healthy(self, deadline: float) -> bool:
        """True once /healthz answers 200; False if the process exited because
        its port was taken meanwhile.

        Raises:
            RuntimeError: the process exited for another reason, or the deadline passed.
        """
        assert self.process is not None
        with httpx.Client(timeout=1.0) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    if "address already in use" in self.log_tail().lower():
                        return False
                    raise RuntimeError(
                        f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}"
                    )
                try:
                    if http.get(f"{self.url}/healthz").status_code == 200:
                        return True
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not answer /healthz in time:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> int | None:
        """SIGKILL (``kill -9``) and reap; the exit status."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        return process.wait(timeout=STOP_TIMEOUT)

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def reap(self) -> None:
        """Wait for the exit after :meth:`terminate`; SIGKILL past the deadline."""
        process = self.process
        if process is None:
            return
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)


class Launcher:
    """Starts instances; :meth:`close` stops every one of them."""

    def __init__(self, workdir: Path, jwt_secret: str) -> None:
        self.workdir = workdir
        self.jwt_secret = jwt_secret
        self.instances: list[Instance] = []

    def start(
        self,
        count: int = 2,
        *,
        each: Sequence[Mapping[str, object]] | None = None,
        **common: object,
    ) -> list[Instance]:
        """Start ``count`` instances (or one per ``each`` entry) in parallel.

        Every instance gets the production settings below, then ``common``,
        then its own ``each`` entry (setting names without ``AUTHGATE_``).
        """
        specific = list(each) if each is not None else [{} for _ in range(count)]
        base: dict[str, object] = {
            "public_url": PUBLIC_URL,
            "jwt_secret": self.jwt_secret,
            "password_profile": "owasp-minimum",
            **common,
        }
        started = []
        for extra in specific:
            name = chr(ord("a") + len(self.instances))
            instance = Instance(name, {**base, **extra}, self.workdir)
            self.instances.append(instance)
            started.append(instance)
        pending = list(started)
        for _attempt in range(3):
            for instance in pending:
                instance.spawn()
            deadline = time.monotonic() + START_TIMEOUT
            pending = [i for i in pending if not i.wait_healthy(deadline)]
            if not pending:
                return started
        raise RuntimeError("could not find free ports for the instances")

    def close(self) -> None:
        for instance in self.instances:
            instance.terminate()
        for instance in self.instances:
            instance.reap()


# --- clients ------------------------------------------------------------------------------


def client_for(instance: Instance, *, connections: int = 100) -> httpx.AsyncClient:
    """Bearer transport: tokens in bodies and ``Authorization`` headers."""
    return httpx.AsyncClient(
        base_url=instance.url,
        headers={"X-Auth-Transport": "bearer"},
        timeout=httpx.Timeout(15.0),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True, slots=True)
class Tokens:
    access: str
    refresh: str

    @classmethod
    def of(cls, response: httpx.Response) -> Tokens:
        assert response.status_code == 200, response.text
        body = response.json()
        return cls(body["access_token"], body["refresh_token"])


def problem_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, unverified (the tests only read ids from it)."""
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


async def register(client: httpx.AsyncClient, email: str) -> str:
    response = await client.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    user_id: str = response.json()["id"]
    return user_id


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> Tokens:
    return Tokens.of(await client.post("/auth/login", json={"email": email, "password": password}))


async def verify_status(client: httpx.AsyncClient, access: str) -> int:
    return (await client.get("/auth/verify", headers=bearer(access))).status_code
