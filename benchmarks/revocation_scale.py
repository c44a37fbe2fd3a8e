"""Suite ``revocation``: a million live revocations, and propagation through Redis.

memory
    ``tracemalloc`` around filling one :class:`MemoryRevocationList` with
    ``entries`` live revocations (jtis drawn before tracing starts, so only
    what the list keeps is counted).
verify speed
    Cold verification (``cache_size=0``, a distinct token per call) with that
    full list against the same with an empty list, interleaved rounds.
propagation
    Two instances, each with its own Redis client and
    :class:`~authgate.stores.redis.RevocationSync`: this process revokes
    through ``Revoker`` (Redis SET + PUBLISH, then its memory); a second
    process (:mod:`benchmarks.workers.revocation_listener`) reports when its
    in-memory list has the jti.
"""

from __future__ import annotations

import asyncio
import gc
import random
import secrets
import statistics
import sys
import time
import tracemalloc
from typing import Final

from authgate.core import MemoryRevocationList, SystemClock
from authgate.service.revocation import Revoker
from authgate.stores.redis import RedisRevokedTokenStore, RevocationSync, create_client
from benchmarks.core_sides import Fixture
from benchmarks.harness import Budget, Case, Finding, Report, Suite, Table, Target, measure
from benchmarks.harness import micro_table as table_of
from benchmarks.procs import REPO

__all__ = ["SUITE", "run"]

ENTRIES: Final = 1_000_000
# tracemalloc slows filling ~8x, so quick mode traces an eighth: 125,000 entries give the
# dict the same load factor as 1,000,000 (2**18 vs 2**21 slots), so x8 scales it faithfully.
QUICK_TRACED: Final = 125_000
REDIS_URL: Final = "redis://127.0.0.1:6379/15"
POLL_S: Final = 0.0002
ACCESS_TTL: Final = 900  # authgate's default: revocations spread over 15 minutes of expiries

NOTES: Final = (
    "memory: jtis are secrets.token_urlsafe(16) (what TokenIssuer draws), expiries spread "
    f"evenly over the next {ACCESS_TTL} s (authgate's access TTL) so the list holds ~900 "
    "deadline buckets; tracemalloc counts the list's dict, buckets and boxed ids (current "
    "after filling, and the peak while filling). In quick mode 125,000 entries are traced "
    "and the figures are scaled x8 (same dict load factor as at 1,000,000; measured 4% above "
    "the exact figure); full mode traces all 1,000,000.",
    "verify speed: TokenVerifier(..., cache_size=0).verify_access_token over `ops` distinct "
    "valid tokens per round, once with the 1,000,000-entry list and once with an empty "
    "MemoryRevocationList (same ring, policy, clock); ratio = median(full) / median(empty).",
    "propagation: this process and a second one (separate Python processes, separate "
    f"clients) on Redis db 15 ({REDIS_URL}) under a per-run key prefix; db 15 is flushed "
    "before and after. Per revocation: the second process is told which jti to watch and "
    f"polls its RevocationSync.is_revoked every {POLL_S * 1000:g} ms (yielding to its event "
    "loop); this process takes time.monotonic_ns(), runs Revoker.revoke([(jti, exp)]) (the "
    "Lua SET + PUBLISH, then its own memory), and the second process reports "
    "time.monotonic_ns() when its in-memory list first has the jti (CLOCK_MONOTONIC is "
    "system-wide). Latency = the difference; a random 0-5 ms pause between revocations. "
    "Resolution: the poll interval.",
)


def _filled(entries: int, jtis: list[str], clock: SystemClock) -> MemoryRevocationList:
    revocations = MemoryRevocationList(clock, leeway=30)
    revoke, now = revocations.revoke, clock.now()
    for n, jti in enumerate(jtis[:entries]):
        revoke(jti, now + 60 + n % ACCESS_TTL)
    return revocations


def _memory(entries: int, jtis: list[str], clock: SystemClock) -> tuple[int, int]:
    """(current, peak) traced bytes of a list of ``entries``."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        revocations = _filled(entries, jtis, clock)
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    if len(revocations) != entries:
        raise RuntimeError("jti hashes collided: draw again")
    return current - base, peak - base


async def _propagation(count: int) -> list[float]:
    clock = SystemClock()
    client = create_client(REDIS_URL)
    await client.flushdb()
    prefix = "authgate-bench-" + secrets.token_hex(4)
    store = RedisRevokedTokenStore(client, prefix=prefix, clock=clock)
    sync = RevocationSync(store, clock)
    await sync.start()
    listener = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.workers.revocation_listener",
        REDIS_URL,
        prefix,
        str(POLL_S),
        cwd=REPO,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    if listener.stdin is None or listener.stdout is None:
        raise RuntimeError("the listener has no pipes")
    samples: list[float] = []
    try:
        if not await sync.wait_synchronised(10.0):
            raise RuntimeError("RevocationSync did not synchronise with Redis")
        revoker = Revoker(sync, [store], clock, leeway=30)

        stdout = listener.stdout

        async def line() -> str:
            raw: bytes = await asyncio.wait_for(stdout.readline(), 30)
            return raw.decode().strip()

        if await line() != "ready":
            raise RuntimeError("the listener did not synchronise")
        for _ in range(count):
            jti = secrets.token_urlsafe(16)
            listener.stdin.write(f"{jti}\n".encode())
            await listener.stdin.drain()
            if await line() != "watching":
                raise RuntimeError("the listener stopped")
            start = time.monotonic_ns()
            await revoker.revoke([(jti, clock.now() + ACCESS_TTL)])
            seen, _, at = (await line()).partition(" ")
            if seen != jti or not at.isdigit():
                raise RuntimeError("the listener lost a revocation")
            samples.append((int(at) - start) / 1e6)
            await asyncio.sleep(random.uniform(0, 0.005))
        listener.stdin.write(b"\n")
        await listener.stdin.drain()
        await asyncio.wait_for(listener.wait(), 30)
    finally:
        if listener.returncode is None:
            listener.kill()
            await listener.wait()
        await sync.stop()
        await client.flushdb()
        await client.aclose()
    return samples


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def run(budget: Budget) -> Report:
    """Measure the ``revocation`` suite."""
    clock = SystemClock()
    jtis = [secrets.token_urlsafe(16) for _ in range(ENTRIES)]
    traced = ENTRIES if budget.mode == "full" else QUICK_TRACED
    current, peak = _memory(traced, jtis, clock)
    scale = ENTRIES / traced
    full_list = _filled(ENTRIES, jtis, clock)
    del jtis
    fixture = Fixture.create(budget.ops, revoked=0)
    cases = (
        Case(
            "verify_empty_list",
            "verify cold, empty revocation list",
            fixture.verify_body(fixture.verifier_with(MemoryRevocationList(clock), cache_size=0)),
        ),
        Case(
            "verify_1m_list",
            f"verify cold, {len(full_list):,} revocations",
            fixture.verify_body(fixture.verifier_with(full_list, cache_size=0)),
        ),
    )
    table, _, figures = table_of("revocation", cases, measure(cases, budget), ())
    count = 200 if budget.mode == "quick" else 500
    latencies = asyncio.run(_propagation(count))
    p50, p99 = _percentile(latencies, 50), _percentile(latencies, 99)
    memory_mb = current * scale / 1e6
    rows = (
        (
            f"memory, {ENTRIES:,} live revocations [1]",
            f"{memory_mb:.1f} MB",
            f"peak {peak * scale / 1e6:.1f} MB; {current / traced:.0f} B/entry; traced {traced:,}",
        ),
        (
            f"propagation p50 / p99, {count} revocations [3]",
            f"{p50:.2f} / {p99:.2f} ms",
            f"min {min(latencies):.2f} ms, max {max(latencies):.2f} ms",
        ),
    )
    findings = [
        Finding(
            "memory_1m_mb_vs_100",
            "memory for 1,000,000 entries / 100 MB",
            memory_mb / 100,
            Target("<=", 1.0),
        ),
        Finding(
            "verify_1m_vs_empty",
            "cold verify with 1,000,000 revocations / empty list",
            figures["verify_1m_list_us"] / figures["verify_empty_list_us"],
            Target("<=", 1.10),
        ),
        Finding(
            "propagation_p99_ms_vs_100", "propagation p99 / 100 ms", p99 / 100, Target("<=", 1.0)
        ),
    ]
    figures.update(
        {
            "memory_1m_mb": memory_mb,
            "memory_1m_peak_mb": peak * scale / 1e6,
            "propagation_p50_ms": p50,
            "propagation_p99_ms": p99,
            "propagation_max_ms": max(latencies),
            "propagation_count": count,
        }
    )
    return Report(
        suite="revocation",
        budget=budget,
        title=f"{budget.mode} mode; verify: {budget.rounds} interleaved rounds x "
        f"{budget.ops:,} ops per case (after 1 warm-up round), medians over rounds",
        tables=[Table(("measure", "value", "detail"), rows), table],
        findings=findings,
        notes=NOTES,
        figures=figures,
    )


SUITE: Final = Suite(
    name="revocation",
    help="1,000,000 revoked jtis: memory and verify speed; Redis pub/sub propagation p50/p99",
    full=Budget("full", rounds=9, ops=20_000),
    quick=Budget("quick", rounds=3, ops=2_000),
    run=run,
)
