"""Helpers for the Redis tests: the shared server's URL, a private server to kill.

Module name is ``redis_support`` (not ``_support``): ``tests/redis`` has no
``__init__.py`` -- a package named ``redis`` there would shadow redis-py --
so its modules are imported top-level and need names unique in the suite.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

import pytest

from authgate.stores.redis import create_client

__all__ = [
    "DEFAULT_REDIS_URL",
    "RedisServer",
    "eventually",
    "free_port",
    "require_redis",
    "shared_redis_url",
]

DEFAULT_REDIS_URL: Final = "redis://127.0.0.1:6379/0"
REDIS_SERVER: Final = "/usr/bin/redis-server"

_probed: dict[str, str | None] = {}  # url -> why it is unusable (None: usable)


def shared_redis_url() -> str:
    return os.environ.get("AUTHGATE_TEST_REDIS_URL", DEFAULT_REDIS_URL)


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("AUTHGATE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}; AUTHGATE_REQUIRE_SERVICES=1 forbids skipping")
    pytest.skip(reason)


async def require_redis(url: str) -> None:
    """Skip (or, with ``AUTHGATE_REQUIRE_SERVICES=1``, fail) when Redis is down."""
    if url not in _probed:
        client = create_client(url)
        try:
            await client.ping()
            _probed[url] = None
        except Exception as err:  # noqa: BLE001 -- whatever the failure, the service is absent
            _probed[url] = (
                f"Redis at AUTHGATE_TEST_REDIS_URL does not answer ({type(err).__name__})"
            )
        finally:
            await client.aclose()
    reason = _probed[url]
    if reason is not None:
        _skip_or_fail(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """A private ``redis-server`` (no persistence) that tests may SIGKILL and restart.

    Restarting keeps the port, so clients reconnect to "the same" Redis --
    which has lost all its data, like a real restart without persistence.
    """

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which(REDIS_SERVER)
        if binary is None:
            _skip_or_fail(f"{REDIS_SERVER} is not installed; fault tests need their own Redis")
        self.binary = binary or REDIS_SERVER
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *extra: str) -> None:
        command = [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.workdir),
            "--loglevel", "warning",
            *extra,
        ]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603 -- fixed binary, our own arguments
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            if self._answers():
                return
            time.sleep(0.01)
        raise RuntimeError("redis-server did not start within 5 s")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                reply = sock.recv(64)
        except OSError:
            return False
        return reply.startswith((b"+PONG", b"-NOAUTH"))

    def kill(self) -> None:
        """SIGKILL: no goodbye to clients beyond the kernel closing the sockets."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None


async def eventually(
    predicate: Callable[[], bool], *, timeout: float, interval: float = 0.005
) -> float:
    """Wait until ``predicate()`` holds; return the seconds it took.

    Raises:
        AssertionError: still false after ``timeout`` seconds.
    """
    start = time.perf_counter()
    while not predicate():
        if time.perf_counter() - start > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)
    return time.perf_counter() - start
