"""Suite ``refresh``: refresh-token rotations/s on SQLite and PostgreSQL.

In one process and one event loop, per backend, three sides interleaved
round by round, each doing ``ops`` sequential rotations (one awaited after
the other) spread over ``FAMILIES`` sessions:

service
    ``Sessions.refresh(token, accounts.role_of, client)`` of a runtime built by
    ``authgate.bootstrap.build_runtime`` - what ``POST /auth/refresh`` runs
    after its HTTP parsing.
store
    ``SqlSessionStore.rotate(...)`` alone, with precomputed hashes and box:
    authgate's rotation transaction without token work.
raw
    The same transaction written directly against the driver (aiosqlite /
    asyncpg): :mod:`benchmarks.refresh_raw`.
"""

from __future__ import annotations

import asyncio
import secrets
import statistics
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final

from authgate.bootstrap import Runtime, build_runtime
from authgate.config import load_settings
from authgate.service.context import ClientInfo
from authgate.service.events import SecurityEvent
from authgate.service.sessions import refresh_token_hash
from authgate.stores.records import RefreshRecord, RotationOutcome, User
from benchmarks import refresh_raw
from benchmarks.harness import Budget, Finding, Report, Suite, Table, Target, ameasure

__all__ = ["SUITE", "run"]

FAMILIES: Final = 8
CLIENT: Final = ClientInfo(ip="127.0.0.1", user_agent="authgate-bench")
SIDES: Final = ("service", "store", "raw")

NOTES: Final = (
    "Per backend, the three sides share one database (their own sessions in it) and one "
    "event loop; rounds interleave them in rotating order after one untimed warm-up round. "
    "'µs/rotation' = round time / ops, median over rounds; rotations/s = 1e6 / that. Each "
    "side is checked to answer ROTATED before timing.",
    "service: Sessions.refresh on a runtime from build_runtime (production settings, "
    "events to a no-op sink): verify the refresh JWT, issue the successor, seal it for the "
    "grace window (HKDF + AES-GCM), SqlSessionStore.rotate (one write transaction: SELECT "
    "token JOIN family; UPDATE refresh_tokens SET spent_at, successor_box WHERE token_hash "
    "AND spent_at IS NULL; UPDATE families SET last_used_at, expires_at, ip, user_agent "
    "WHERE id AND revoked_at IS NULL RETURNING *; INSERT the successor), then role_of (a "
    "read transaction on users), issue the access token and record its jti (a second write "
    "transaction: INSERT access_tokens). So 3 transactions per rotation, 2 of them writes.",
    "store: SqlSessionStore.rotate alone with precomputed random 32-byte hashes and a "
    "random box of the sealed size: exactly the first write transaction above through "
    "SQLAlchemy Core (engine from authgate's create_engine: SQLite with BEGIN IMMEDIATE, "
    "WAL, busy_timeout, foreign_keys; PostgreSQL pool with pre_ping).",
    "raw: the same four statements and the same checks in one transaction, hand-written "
    "against the driver: aiosqlite on one long-lived connection with the same pragmas "
    "(BEGIN IMMEDIATE ... COMMIT), asyncpg from an asyncpg pool (acquire per rotation, "
    "conn.transaction(), its automatic prepared-statement cache). No JWT, no sealing, no "
    "role lookup, no access-token record: the floor for one rotation on this database.",
    "SQLite: a file in a temp dir (WAL, synchronous left at SQLite's default, as authgate "
    "leaves it). PostgreSQL: 127.0.0.1:5432, database authgate_bench created for the run "
    "(schema by authgate's Alembic migrations) and dropped after.",
)


class _NoEvents:
    def emit(self, event: SecurityEvent) -> None:
        pass


async def _runtime(url: str) -> Runtime:
    settings = load_settings(
        public_url="https://bench.test", jwt_secret=secrets.token_urlsafe(48), database_url=url
    )
    return await build_runtime(settings, events=_NoEvents(), migrate=True)


async def _sessions(runtime: Runtime, user: User, count: int) -> list[str]:
    """Refresh tokens of ``count`` new sessions of ``user``."""
    return [(await runtime.sessions.start(user, CLIENT)).refresh.token for _ in range(count)]


async def _sides(
    runtime: Runtime, raw: refresh_raw.RawRotator, ops: int
) -> dict[str, Callable[[], Awaitable[None]]]:
    now = runtime.clock.now()
    user = User(
        id="u_bench" + secrets.token_hex(4),
        email=f"{secrets.token_hex(4)}@bench.test",
        password_hash="$argon2id$unused",  # noqa: S106 - refresh never reads it
        role="user",
        disabled=False,
        created_at=now,
        updated_at=now,
    )
    await runtime.accounts.users.add(user)
    service_tokens = await _sessions(runtime, user, FAMILIES)
    store_hashes = [refresh_token_hash(t) for t in await _sessions(runtime, user, FAMILIES)]
    raw_hashes = [refresh_token_hash(t) for t in await _sessions(runtime, user, FAMILIES)]
    box_size = raw.box_size
    sessions, store = runtime.sessions, runtime.sessions.store
    role_of, refresh_ttl = runtime.accounts.role_of, runtime.policy.refresh_ttl

    async def service() -> None:
        for n in range(ops):
            slot = n % FAMILIES
            pair = await sessions.refresh(service_tokens[slot], role_of, CLIENT)
            service_tokens[slot] = pair.refresh.token

    async def store_side() -> None:
        for n in range(ops):
            slot = n % FAMILIES
            now = runtime.clock.now()
            successor = RefreshRecord(secrets.token_bytes(32), "", now, now + refresh_ttl)
            result = await store.rotate(
                store_hashes[slot],
                successor,
                secrets.token_bytes(box_size),
                now=now,
                grace_seconds=5.0,
                ip=CLIENT.ip,
                user_agent=CLIENT.user_agent,
            )
            if result.outcome is not RotationOutcome.ROTATED:
                raise RuntimeError(f"store rotation answered {result.outcome}")
            store_hashes[slot] = successor.token_hash

    async def raw_side() -> None:
        for n in range(ops):
            slot = n % FAMILIES
            raw_hashes[slot] = await raw.rotate(raw_hashes[slot], CLIENT.ip, CLIENT.user_agent)

    return {"service": service, "store": store_side, "raw": raw_side}


async def _backend(name: str, url: str, budget: Budget) -> dict[str, list[float]]:
    runtime = await _runtime(url)
    try:
        sample = runtime.issuer.issue_refresh_token(subject="u_size", session_id="s_size").token
        box_size = 12 + len(sample) + 16  # nonce + token + GCM tag: what Sessions seals
        raw = await refresh_raw.RawRotator.open(
            url, box_size=box_size, refresh_ttl=runtime.policy.refresh_ttl
        )
        try:
            bodies = await _sides(runtime, raw, budget.ops)
            samples = await ameasure(bodies, budget)
        finally:
            await raw.close()
    finally:
        await runtime.aclose()
    print(f"  refresh: {name} done", file=sys.stderr)
    return samples


async def _measure(
    budget: Budget, work: Path
) -> tuple[dict[str, dict[str, list[float]]], list[str]]:
    results = {"sqlite": await _backend("sqlite", f"sqlite:///{work / 'refresh.db'}", budget)}
    skipped = []
    try:
        pg_url = await refresh_raw.create_pg_database()
    except (OSError, refresh_raw.PgError) as err:
        skipped.append(f"PostgreSQL skipped: {type(err).__name__}: {err}")
    else:
        try:
            results["postgresql"] = await _backend("postgresql", pg_url, budget)
        finally:
            await refresh_raw.drop_pg_database()
    return results, skipped


def run(budget: Budget) -> Report:
    """Measure the ``refresh`` suite."""
    with tempfile.TemporaryDirectory(prefix="authgate-bench-refresh-") as tmp:
        results, skipped = asyncio.run(_measure(budget, Path(tmp)))
    rows, findings, figures = [], [], {}
    for backend, samples in results.items():
        medians = {side: statistics.median(samples[side]) for side in SIDES}
        for side in SIDES:
            values = samples[side]
            rows.append(
                (
                    backend,
                    f"{side} [{SIDES.index(side) + 2}]",
                    f"{medians[side]:,.0f}",
                    f"{min(values):,.0f}-{max(values):,.0f}",
                    f"{1e6 / medians[side]:,.0f}",
                    "(baseline)" if side == "raw" else f"{medians['raw'] / medians[side]:.2f}",
                )
            )
            figures[f"{backend}_{side}_us"] = medians[side]
            figures[f"{backend}_{side}_per_s"] = 1e6 / medians[side]
        findings.append(
            Finding(
                f"{backend}_service_vs_raw",
                f"{backend}: Sessions.refresh rotations/s / raw driver rotations/s",
                medians["raw"] / medians["service"],
                Target(">=", 0.5),
                higher_is_better=True,
            )
        )
        findings.append(
            Finding(
                f"{backend}_store_vs_raw",
                f"{backend}: SqlSessionStore.rotate rotations/s / raw driver rotations/s",
                medians["raw"] / medians["store"],
                higher_is_better=True,
            )
        )
    columns = ("backend", "side", "µs/rotation", "min-max", "rotations/s", "vs raw (rot/s)")
    return Report(
        suite="refresh",
        budget=budget,
        title=f"{budget.mode} mode, {budget.rounds} interleaved rounds x {budget.ops:,} "
        f"sequential rotations per side over {FAMILIES} sessions (after 1 warm-up round); "
        "medians over rounds",
        tables=[Table(columns, tuple(rows))],
        findings=findings,
        notes=NOTES,
        figures=figures,
        lines=skipped,
    )


SUITE: Final = Suite(
    name="refresh",
    help="refresh rotations/s through Sessions.refresh vs the raw driver (SQLite, PostgreSQL)",
    full=Budget("full", rounds=7, ops=200),
    quick=Budget("quick", rounds=3, ops=40),
    run=run,
)
