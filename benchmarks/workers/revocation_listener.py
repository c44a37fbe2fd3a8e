"""The second authgate instance of the ``revocation`` suite's propagation test.

``python -m benchmarks.workers.revocation_listener REDIS_URL PREFIX POLL_S``
builds its own Redis client and :class:`~authgate.stores.redis.RevocationSync`
(the same wiring as ``authgate.bootstrap``), waits until it is synchronised
and prints ``ready``.  Then, for every jti read from stdin, it prints
``watching``, polls ``is_revoked(jti)`` every ``POLL_S`` seconds (yielding to
the event loop in between, so the pub/sub listener runs) and prints
``<jti> <time.monotonic_ns()>`` the moment its in-memory list has it.  The
suite compares that with the monotonic time (system-wide on Linux) at which
it started the revocation in its own instance.  An empty line ends it.
"""

from __future__ import annotations

import asyncio
import sys
import time

from authgate.core import SystemClock
from authgate.stores.redis import RedisRevokedTokenStore, RevocationSync, create_client

__all__ = ["main"]

_DEADLINE_S = 10.0  # one revocation that never arrives ends the test, not the machine


async def _main(url: str, prefix: str, poll: float) -> int:
    clock = SystemClock()
    client = create_client(url)
    store = RedisRevokedTokenStore(client, prefix=prefix, clock=clock)
    sync = RevocationSync(store, clock)
    await sync.start()
    try:
        if not await sync.wait_synchronised(10.0):
            print("not synchronised", flush=True)
            return 1
        print("ready", flush=True)
        while True:
            jti = (await asyncio.to_thread(sys.stdin.readline)).strip()
            if not jti:
                return 0
            print("watching", flush=True)
            deadline = time.monotonic() + _DEADLINE_S
            while not sync.is_revoked(jti):
                if time.monotonic() > deadline:
                    print(f"{jti} lost", flush=True)
                    return 1
                await asyncio.sleep(poll)
            print(f"{jti} {time.monotonic_ns()}", flush=True)
    finally:
        await sync.stop()
        await client.aclose()


def main(argv: list[str]) -> int:
    return asyncio.run(_main(argv[0], argv[1], float(argv[2])))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
