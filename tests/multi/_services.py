"""The services the multi-instance tests share or start: PostgreSQL and Redis.

Shared servers come from ``AUTHGATE_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``) and ``AUTHGATE_TEST_REDIS_URL``
(default ``redis://127.0.0.1:6379/0``).  When one does not answer, tests
that need it are skipped with the reason, or fail when
``AUTHGATE_REQUIRE_SERVICES=1`` (CI), so a dead service cannot pass silently.

Isolation on the shared servers:

* PostgreSQL: a database ``authgate_multi_<random>`` per test, created and
  dropped (``WITH (FORCE)``) with ``psql``; nothing else is touched.
* Redis: authgate has no key-prefix setting, so each test claims a whole
  database number (1-15) that is empty or holds only a leftover of this
  suite, with a lock key on the base database so parallel runs never pick
  the same one, and flushes it afterwards.

Fault tests never stop the shared servers: :class:`OwnRedis` and
:class:`OwnPostgres` are private servers on free loopback ports.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit, urlunsplit

import pytest

import redis

__all__ = [
    "OwnPostgres",
    "OwnRedis",
    "claim_redis_database",
    "free_port",
    "postgres_base_url",
    "postgres_database",
    "psql",
    "psql_int",
    "redis_base_url",
    "require_postgres",
    "require_redis",
    "skip_or_fail",
    "with_database",
]

DEFAULT_POSTGRES_URL: Final = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL: Final = "redis://127.0.0.1:6379/0"
_LOCK_PREFIX: Final = "authgate-multi:redis-db-lock:"
_MARKER: Final = "authgate-multi:owner"
_LOCK_TTL: Final = 600  # seconds; longer than any test of this suite


def postgres_base_url() -> str:
    return os.environ.get("AUTHGATE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def redis_base_url() -> str:
    return os.environ.get("AUTHGATE_TEST_REDIS_URL", DEFAULT_REDIS_URL)


def skip_or_fail(reason: str) -> None:
    """Skip, or fail under ``AUTHGATE_REQUIRE_SERVICES=1``."""
    if os.environ.get("AUTHGATE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}; AUTHGATE_REQUIRE_SERVICES=1 forbids skipping")
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (callers retry on a clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# --- PostgreSQL ---------------------------------------------------------------------------


def psql(url: str, sql: str, *, timeout: float = 20.0) -> str:
    """Run one statement with ``psql``; its unaligned, tuples-only output.

    Raises:
        RuntimeError: psql failed (the message carries its stderr).
    """
    program = shutil.which("psql") or "psql"
    done = subprocess.run(  # noqa: S603 - fixed program, test-controlled arguments
        [program, url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"psql failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout.strip()


def psql_int(url: str, sql: str) -> int:
    return int(psql(url, sql))


@functools.cache
def _postgres_problem(url: str) -> str | None:
    if shutil.which("psql") is None:
        return "psql is not installed (the multi-instance tests create databases with it)"
    try:
        psql(url, "SELECT 1", timeout=10)
    except (RuntimeError, subprocess.TimeoutExpired) as err:
        return f"PostgreSQL at AUTHGATE_TEST_POSTGRES_URL does not answer ({type(err).__name__})"
    return None


def require_postgres() -> str:
    """The shared PostgreSQL base URL, or skip/fail with the reason."""
    url = postgres_base_url()
    problem = _postgres_problem(url)
    if problem is not None:
        skip_or_fail(problem)
    return url


def with_database(url: str, database: str) -> str:
    """``url`` naming another database (host, user and query kept)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


@contextlib.contextmanager
def postgres_database(prefix: str = "authgate_multi") -> Iterator[str]:
    """A new, empty database on the shared server; dropped (forcibly) after."""
    base = require_postgres()
    name = f"{prefix}_{secrets.token_hex(6)}"
    psql(base, f'CREATE DATABASE "{name}"')
    try:
        yield with_database(base, name)
    finally:
        psql(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- Redis --------------------------------------------------------------------------------


def _redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)


@functools.cache
def _redis_problem(url: str) -> str | None:
    try:
        with _redis_client(url) as client:
            client.ping()
    except (redis.RedisError, OSError) as err:
        return f"Redis at AUTHGATE_TEST_REDIS_URL does not answer ({type(err).__name__})"
    return None


def require_redis() -> str:
    """The shared Redis base URL, or skip/fail with the reason."""
    url = redis_base_url()
    problem = _redis_problem(url)
    if problem is not None:
        skip_or_fail(problem)
    return url


def _redis_db_url(url: str, number: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{number}", parts.query, ""))


@contextlib.contextmanager
def claim_redis_database() -> Iterator[str]:
    """The URL of a Redis database number of this test's own, flushed after.

    A number qualifies when its lock (``SET NX`` on the base database) is
    free and it is empty or holds only a leftover of this suite (the marker
    key): another suite's data is never flushed.
    """
    base = require_redis()
    base_db = int(urlsplit(base).path.strip("/") or 0)
    token = secrets.token_hex(8)
    with _redis_client(base) as admin:
        try:
            count = int(str(admin.config_get("databases").get("databases", "16")))
        except redis.ResponseError:  # CONFIG disabled: Redis's default
            count = 16
        candidates = [n for n in range(1, count) if n != base_db]
        for number in secrets.SystemRandom().sample(candidates, len(candidates)):
            lock = f"{_LOCK_PREFIX}{number}"
            if not admin.set(lock, token, nx=True, ex=_LOCK_TTL):
                continue
            url = _redis_db_url(base, number)
            with _redis_client(url) as client:
                size = client.dbsize()
                if size and not client.exists(_MARKER):
                    admin.delete(lock)
                    continue
                client.flushdb()
                client.set(_MARKER, token)
                try:
                    yield url
                finally:
                    client.flushdb()
                    if admin.get(lock) == token.encode():
                        admin.delete(lock)
            return
    skip_or_fail("no free Redis database number (1-15) for the multi-instance tests")


class OwnRedis:
    """A private ``redis-server`` without persistence that tests may SIGKILL
    and start again on the same port."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            skip_or_fail("redis-server is not installed")
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, timeout: float = 10.0) -> None:
        for _ in range(3):
            if self._spawn(timeout):
                return
            self.port = free_port()  # the port was taken meanwhile: another one
        raise RuntimeError("redis-server did not start")

    def _spawn(self, timeout: float) -> bool:
        log = (self.directory / f"redis-{self.port}.log").open("ab")
        with log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed program and arguments
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.directory),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with _redis_client(self.url) as client:
                    client.ping()
            except (redis.RedisError, OSError):
                time.sleep(0.02)
            else:
                return True
        self.kill()
        raise RuntimeError("redis-server did not answer in time")

    def kill(self) -> None:
        """SIGKILL the server and reap it (idempotent)."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
        if process is not None:
            process.wait(timeout=10)

    def restart(self) -> None:
        """Start again on the same port (after :meth:`kill`)."""
        if self._spawn(10.0):
            return
        raise RuntimeError("redis-server did not start again on its port")


def _postgres_bindir() -> Path | None:
    configured = os.environ.get("AUTHGATE_TEST_PG_BINDIR")
    if configured:
        return Path(configured)
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class OwnPostgres:
    """A private PostgreSQL cluster on a free port, stopped and started by the test.

    ``initdb`` refuses to run as root, so under root the cluster belongs to
    the ``postgres`` account (``runuser``) and lives in a directory of its
    own under the system temp directory (pytest's are private to root).
    """

    def __init__(self) -> None:
        bindir = _postgres_bindir()
        if bindir is None or not (bindir / "initdb").exists():
            skip_or_fail("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
            raise AssertionError("unreachable")
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        if self.as_root and shutil.which("runuser") is None:
            skip_or_fail("running as root without runuser: cannot initdb as postgres")
        self.directory = Path(tempfile.mkdtemp(prefix="authgate-multi-pg-"))
        if self.as_root:
            shutil.chown(self.directory, user="postgres")
        self.data = self.directory / "data"
        self.port = free_port()
        self._initialised = False

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60.0) -> None:
        command = list(args)
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(  # noqa: S603 - fixed programs, test-controlled arguments
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed: {done.stderr.strip()}")

    def start(self) -> None:
        """Start the server (initialising the cluster first, the first time).

        The first start moves to another free port if the chosen one was
        taken meanwhile; later starts (a restart) keep the port.
        """
        first = not self._initialised
        for attempt in range(3 if first else 1):
            try:
                self._start()
            except RuntimeError:
                if not first or attempt == 2:
                    raise
                self.port = free_port()
            else:
                return

    def _start(self) -> None:
        if not self._initialised:
            self._run(
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            )
            self._initialised = True
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.directory / "server.log"),
            "-w",
            "-t",
            "30",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop"
        )

    def destroy(self) -> None:
        """Stop (immediately) if running, and delete the cluster."""
        if self._initialised and (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)
