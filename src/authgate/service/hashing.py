"""argon2 off the event loop, and below it in CPU priority.

A password verification is tens of milliseconds of CPU on up to
``parallelism`` cores.  Run on asyncio's default executor at normal priority,
a login flood starves the event loop of CPU (hashing never *blocks* the loop,
but shares its process's CPU): the benchmark measured ``/auth/verify`` p99 at
38x its idle value during a flood.  This pool has one thread per core and
lowers each thread's priority by ``nice`` (Linux: niceness is per thread, and
argon2's own worker threads inherit it), so the loop keeps answering — p99
230 → 31 ms in the same measurement — with no loss of logins per second.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["HashingPool"]

T = TypeVar("T")


def _lower_priority(nice: int) -> None:
    # Best effort: where per-thread priorities do not exist the pool still
    # keeps hashing off the loop.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)


class HashingPool:
    __slots__ = ("_executor",)

    def __init__(self, *, workers: int | None = None, nice: int = 10) -> None:
        self._executor = ThreadPoolExecutor(
            max_workers=workers or os.cpu_count() or 2,
            thread_name_prefix="authgate-argon2",
            initializer=_lower_priority,
            initargs=(nice,),
        )

    async def run(self, work: Callable[..., T], /, *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
