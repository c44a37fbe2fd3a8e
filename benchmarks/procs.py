"""Processes the suites start: servers, wrk, helper workers, the bench venv.

Every process is started by :class:`Server` or :func:`run_wrk` /
:func:`run_worker` with a bounded lifetime (wrk's ``-d``, a ``timeout=`` on
every wait) and is stopped by its own pid, process group included.  Only
``127.0.0.1`` is ever targeted.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

__all__ = [
    "BENCH_VENV",
    "REPO",
    "SETUP_HINT",
    "Server",
    "WrkResult",
    "bench_python",
    "free_port",
    "http_call",
    "project_python",
    "run_worker",
    "run_wrk",
    "tree_cpu_seconds",
]

REPO: Final = Path(__file__).resolve().parent.parent
BENCH_VENV: Final = REPO / ".venv-bench"
SETUP_HINT: Final = (
    "python3 -m venv .venv-bench && echo '*' > .venv-bench/.gitignore && "
    ".venv-bench/bin/pip install -r benchmarks/requirements.txt -e ."
)
_CLK_TCK: Final = os.sysconf("SC_CLK_TCK")
_UNITS: Final = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def project_python() -> str:
    """The interpreter running the suite (the project's ``.venv``)."""
    return sys.executable


def bench_python() -> Path | None:
    """``.venv-bench``'s interpreter, or ``None`` when it was not created."""
    python = BENCH_VENV / "bin" / "python"
    return python if python.exists() else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tree_cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` and all its live descendants, in seconds."""
    total, pending, seen = 0, [pid], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            stat = Path(f"/proc/{current}/stat").read_text()
            tasks = list(Path(f"/proc/{current}/task").iterdir())
        except (FileNotFoundError, ProcessLookupError):
            continue
        fields = stat.rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        for task in tasks:
            with contextlib.suppress(OSError):
                pending.extend(int(c) for c in (task / "children").read_text().split())
    return total / _CLK_TCK


class Server:
    """A server subprocess in its own process group, logging to ``log_path``."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        port: int,
        env: Mapping[str, str] | None = None,
        cpus: str | None = None,
        log_path: Path,
    ) -> None:
        self.name, self.port, self.log_path = name, port, log_path
        command = [*(["taskset", "-c", cpus] if cpus else []), *argv]
        self._log: IO[bytes] = log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own argv, no shell
            command,
            cwd=REPO,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, path: str, *, timeout: float = 60.0) -> None:
        """Until ``GET path`` answers anything at all (even 401/404).

        Raises:
            RuntimeError: the process died or did not answer in time.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url(path), timeout=2):  # noqa: S310 - loopback
                    return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(
            f"{self.name} did not answer within {timeout:.0f} s; see {self.log_path}"
        )

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL after 10 s."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def parse_wrk(output: str) -> WrkResult:
    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output)
        if match is None:
            raise RuntimeError(f"cannot read wrk output:\n{output}")
        return match

    done = find(r"(\d+) requests in ([\d.]+)(us|ms|s|m)")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkResult(
        requests=int(done[1]),
        seconds=_ms(done[2] + done[3]) / 1000,
        rps=float(find(r"Requests/sec:\s+([\d.]+)")[1]),
        p50_ms=_ms(find(r"\n\s+50%\s+(\S+)")[1]),
        p99_ms=_ms(find(r"\n\s+99%\s+(\S+)")[1]),
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


def run_wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    headers: Mapping[str, str] | None = None,
    script: Path | None = None,
    cpus: str | None = "0",
) -> WrkResult:
    """``wrk -t1 -c<connections> -d<seconds>s --latency``, pinned to ``cpus``.

    wrk takes whole seconds: ``seconds`` is rounded up.
    """
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    argv = [
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{math.ceil(seconds)}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    if script is not None:
        argv += ["-s", str(script)]
    argv.append(url)
    if cpus:
        argv = ["taskset", "-c", cpus, *argv]
    done = subprocess.run(  # noqa: S603 - our own argv, no shell
        argv, capture_output=True, text=True, timeout=seconds + 30, check=True
    )
    return parse_wrk(done.stdout)


def http_call(
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> tuple[int, dict[str, Any]]:
    """One request to a loopback server: status and JSON body (``{}`` when empty)."""
    request = urllib.request.Request(  # noqa: S310 - loopback URLs built by the suites
        url, data=body, headers=dict(headers or {}), method="POST" if body is not None else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    data: dict[str, Any] = json.loads(raw) if raw.strip() else {}
    return status, data


def run_worker(python: Path | str, module: str, *args: str, timeout: float) -> dict[str, Any]:
    """Run ``python -m module args`` from the repository root; its last stdout line as JSON."""
    done = subprocess.run(  # noqa: S603 - our own argv, no shell
        [str(python), "-m", module, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
