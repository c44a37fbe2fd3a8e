"""Running the installed ``authgate`` console script in a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["AUTHGATE", "Command", "Result", "clean_env", "run_authgate", "run_many"]

AUTHGATE: Final = str(Path(sys.executable).with_name("authgate"))
#: At most this many interpreters start at once (each import costs ~1 s of CPU).
_PARALLEL: Final = max(2, os.cpu_count() or 2)


def clean_env(directory: Path, **settings: str) -> dict[str, str]:
    """Only PATH and HOME, plus ``AUTHGATE_<NAME>`` for each setting given;
    the database defaults to ``directory/authgate.db``."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(directory)}
    env["AUTHGATE_DATABASE_URL"] = f"sqlite:///{directory}/authgate.db"
    env.update({f"AUTHGATE_{name}": value for name, value in settings.items()})
    return env


@dataclass(frozen=True, slots=True)
class Command:
    args: Sequence[str]
    env: dict[str, str]
    cwd: Path
    stdin: str | None = None


@dataclass(frozen=True, slots=True)
class Result:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def run_authgate(command: Command, *, timeout: float = 60) -> Result:
    began = time.monotonic()
    completed = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [AUTHGATE, *command.args],
        env=command.env,
        cwd=command.cwd,
        input=command.stdin,
        stdin=None if command.stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(
        completed.returncode, completed.stdout, completed.stderr, time.monotonic() - began
    )


def run_many(commands: Sequence[Command]) -> list[Result]:
    """Run independent commands a few at a time; results in order."""
    with ThreadPoolExecutor(max_workers=_PARALLEL) as pool:
        return list(pool.map(run_authgate, commands))
