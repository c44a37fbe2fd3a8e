"""Faults survived: an instance killed, Redis lost and back, PostgreSQL restarted.

Every fault is real and local: ``kill -9`` of an ``authgate serve`` process,
SIGKILL of a private ``redis-server`` restarted on the same port, ``pg_ctl
stop -m fast`` / ``start`` of a private PostgreSQL cluster.  The shared
services are never stopped.  Every loop is bounded in iterations and time.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

import httpx

from authgate.stores import sql

from ._instances import (
    PASSWORD,
    Launcher,
    Tokens,
    bearer,
    client_for,
    login,
    problem_code,
    register,
    unique_email,
    verify_status,
)
from ._services import OwnPostgres, OwnRedis, psql_int
from .conftest import Shared

GRACE: Final = 30  # a retry after a lost response lands well inside it
USERS: Final = 6
MAX_ITERATIONS: Final = 400  # per user loop


@dataclass(frozen=True, slots=True)
class Counts:
    users: int
    live_families: int


def counts(url: str) -> Counts:
    return Counts(
        users=psql_int(url, "SELECT count(*) FROM users"),
        live_families=psql_int(url, "SELECT count(*) FROM families WHERE revoked_at IS NULL"),
    )


async def _sign_up(clients: Sequence[httpx.AsyncClient], users: int, tag: str) -> list[Tokens]:
    """``users`` accounts, each registered and logged in on alternate instances."""
    sessions = []
    for index in range(users):
        client = clients[index % len(clients)]
        email = unique_email(f"{tag}-{index}")
        await register(client, email)
        sessions.append(await login(client, email))
    return sessions


async def _refresh_everywhere(clients: Sequence[httpx.AsyncClient], tokens: Tokens) -> Tokens:
    """Refresh once on each client in turn; every step must succeed."""
    for client in clients:
        response = await client.post("/auth/refresh", json={"refresh_token": tokens.refresh})
        assert response.status_code == 200, response.text
        tokens = Tokens.of(response)
        me = await client.get("/auth/me", headers=bearer(tokens.access))
        assert me.status_code == 200, me.text
    return tokens


# --- kill -9 ------------------------------------------------------------------------------


@dataclass
class StormLog:
    b_statuses: Counter[int] = field(default_factory=Counter)
    b_after_kill: int = 0
    a_statuses: Counter[int] = field(default_factory=Counter)
    a_lost: int = 0  # requests to A that died with it (retried on B)
    failures: list[str] = field(default_factory=list)


async def test_kill_9_of_an_instance_loses_no_session(shared: Shared) -> None:
    """Invariant: instances hold no session state.  Six users refresh in
    loops alternating between A and B; A is SIGKILLed mid-storm.  Every
    request B receives succeeds (before, during, after the kill); a refresh
    that died with A is retried with the same token on B and succeeds (the
    rotation either rolled back with A's connection or committed and is
    inside the grace window); afterwards every user refreshes on B, and the
    users and live families in PostgreSQL are exactly those before."""
    a, b = shared.start(2, refresh_grace_seconds=GRACE)
    log = StormLog()
    killed = asyncio.Event()
    async with client_for(a) as on_a, client_for(b) as on_b:
        sessions = await _sign_up((on_a, on_b), USERS, "kill")
        before = counts(shared.pg_url)
        end = time.monotonic() + 2.5

        async def user(index: int, tokens: Tokens) -> Tokens:
            for iteration in range(MAX_ITERATIONS):
                if time.monotonic() > end:
                    break
                to_a = (index + iteration) % 2 == 0 and not killed.is_set()
                body = {"refresh_token": tokens.refresh}
                try:
                    response = await (on_a if to_a else on_b).post("/auth/refresh", json=body)
                except httpx.TransportError as err:
                    if not to_a:
                        log.failures.append(f"B failed: {type(err).__name__}")
                        return tokens
                    log.a_lost += 1
                    response = await on_b.post("/auth/refresh", json=body)
                    to_a = False
                (log.a_statuses if to_a else log.b_statuses)[response.status_code] += 1
                if not to_a and killed.is_set():
                    log.b_after_kill += 1
                if response.status_code != 200:
                    log.failures.append(f"{'A' if to_a else 'B'}: {response.text}")
                    return tokens
                tokens = Tokens.of(response)
            return tokens

        async def killer() -> int | None:
            await asyncio.sleep(1.0)
            assert a.alive, "A died before the kill"
            killed.set()
            return await asyncio.to_thread(a.kill)

        async with asyncio.timeout(30), asyncio.TaskGroup() as group:
            loops = [group.create_task(user(i, s)) for i, s in enumerate(sessions)]
            kill = group.create_task(killer())
        finals, status = [t.result() for t in loops], kill.result()
        assert status == -signal.SIGKILL
        assert not log.failures, log.failures
        assert log.a_statuses[200] > 0, "A served nothing before the kill"
        assert log.b_after_kill > 0, "B served nothing after the kill"
        assert set(log.b_statuses) == {200}, log.b_statuses
        for tokens in finals:
            await _refresh_everywhere([on_b], tokens)
        assert counts(shared.pg_url) == before
    print(
        f"\nkill -9 storm: A {dict(log.a_statuses)}, lost with A {log.a_lost}, "
        f"B {dict(log.b_statuses)}"
    )


# --- Redis outage -------------------------------------------------------------------------

CLOSED: Final = {"revocation_failure_mode": "fail_closed"}
STALENESS: Final = 3.0
OPEN: Final = {"revocation_failure_mode": "fail_open", "revocation_max_staleness": STALENESS}
DETECTION: Final = 2.5  # heartbeat 1 s: a loss is noticed within ~2 s at worst
RECOVERY: Final = 6.0  # reconnect backoff is at most 1 s


async def _poll(until: Callable[[], bool], step: Callable[[], object], *, deadline: float) -> None:
    """Call ``step`` (awaiting it) every ~50 ms until ``until()`` or ``deadline``."""
    while not until() and time.monotonic() < deadline:
        result = step()
        if asyncio.iscoroutine(result):
            await result
        await asyncio.sleep(0.05)


async def test_redis_outage_fail_closed_refuses_fail_open_bounded_both_recover(
    pg_url: str, own_redis: OwnRedis, launcher: Launcher
) -> None:
    """Invariants with Redis SIGKILLed and restarted on its port, authgate
    left running: the fail_closed instance answers /auth/verify with 503
    (never 401 or 500) and /readyz 503; the fail_open instance (max
    staleness 3 s) keeps answering 200 for a valid token, for no less than
    3 s and no more than 3 s + detection, then 503; login (throttle counters
    live in Redis) and logout (revocations must reach Redis) answer 503,
    never 500; after the restart both instances verify again within
    seconds, by themselves."""
    closed, open_ = launcher.start(
        each=[CLOSED, OPEN], database_url=pg_url, redis_url=own_redis.url
    )
    async with client_for(closed) as on_closed, client_for(open_) as on_open:
        email = unique_email("redis")
        await register(on_closed, email)
        kept = await login(on_closed, email)
        doomed = await login(on_open, email)
        for client in (on_closed, on_open):
            assert await verify_status(client, kept.access) == 200
            assert (await client.get("/readyz")).status_code == 200

        killed = time.monotonic()  # before the kill: the instances notice it later
        await asyncio.to_thread(own_redis.kill)
        seen: dict[str, list[tuple[float, int]]] = {"closed": [], "open": [], "readyz": []}
        during: dict[str, httpx.Response] = {}

        async def observe() -> None:
            now = time.monotonic() - killed
            seen["closed"].append((now, await verify_status(on_closed, kept.access)))
            seen["open"].append((now, await verify_status(on_open, kept.access)))
            seen["readyz"].append((now, (await on_closed.get("/readyz")).status_code))
            if "logout" not in during and seen["closed"][-1][1] == 503:
                # Redis loss noticed; the fail_open instance still verifies.
                during["logout"] = await on_open.post("/auth/logout", headers=bearer(doomed.access))
                during["login"] = await on_closed.post(
                    "/auth/login", json={"email": email, "password": "Wrong-Guess-0000"}
                )
                during["readyz_open"] = await on_open.get("/readyz")

        def open_refused() -> bool:
            return bool(seen["open"]) and seen["open"][-1][1] == 503

        await _poll(open_refused, observe, deadline=killed + STALENESS + DETECTION + 2)

        closed_statuses = [s for _, s in seen["closed"]]
        assert set(closed_statuses) <= {200, 503}, seen["closed"]
        first_closed_503 = next(t for t, s in seen["closed"] if s == 503)
        assert first_closed_503 <= DETECTION, seen["closed"]
        assert all(s == 503 for t, s in seen["closed"] if t >= first_closed_503)
        assert {s for t, s in seen["readyz"] if t > first_closed_503 + 0.2} == {503}

        open_statuses = [s for _, s in seen["open"]]
        assert set(open_statuses) <= {200, 503}, seen["open"]
        first_open_503 = next(t for t, s in seen["open"] if s == 503)
        last_open_200 = max(t for t, s in seen["open"] if s == 200)
        assert last_open_200 < first_open_503, seen["open"]
        assert last_open_200 >= STALENESS - 1.0, seen["open"]  # served while closed refused
        assert STALENESS - 0.1 <= first_open_503 <= STALENESS + DETECTION + 0.3, seen["open"]

        assert during["logout"].status_code == 503, during["logout"].text
        assert problem_code(during["logout"]) == "store_unavailable"
        assert during["login"].status_code == 503, during["login"].text
        assert during["readyz_open"].status_code == 503

        await asyncio.to_thread(own_redis.restart)
        restarted = time.monotonic()
        recovered: dict[str, float] = {}

        async def recover() -> None:
            for name, client in (("closed", on_closed), ("open", on_open)):
                if name not in recovered and await verify_status(client, kept.access) == 200:
                    assert (await client.get("/readyz")).status_code == 200
                    recovered[name] = time.monotonic() - restarted

        await _poll(lambda: len(recovered) == 2, recover, deadline=restarted + RECOVERY)
        assert set(recovered) == {"closed", "open"}, f"not recovered: {recovered}"

        # The logout answered 503 but had already revoked the refresh family
        # in PostgreSQL.  Retrying it (what a 503 asks for) completes it, or
        # finds it complete; either way every instance then refuses the token.
        gone = await on_closed.post("/auth/refresh", json={"refresh_token": doomed.refresh})
        assert gone.status_code == 401, gone.text
        retry = await on_open.post("/auth/logout", headers=bearer(doomed.access))
        assert retry.status_code in {204, 401}, retry.text
        for client in (on_closed, on_open):
            assert await _eventually_refused(client, doomed.access)
        wrong = {"email": email, "password": "Wrong-Guess-0000"}
        assert (await on_closed.post("/auth/login", json=wrong)).status_code == 401
    print(
        f"\nredis outage: fail_closed 503 after {first_closed_503:.2f} s, fail_open 200 until "
        f"{last_open_200:.2f} s then 503 at {first_open_503:.2f} s; recovered after restart "
        f"in {recovered['closed']:.2f} s / {recovered['open']:.2f} s"
    )


async def _eventually_refused(client: httpx.AsyncClient, access: str) -> bool:
    for _ in range(50):
        if await verify_status(client, access) == 401:
            return True
        await asyncio.sleep(0.02)
    return False


async def test_logout_answered_503_during_redis_outage_takes_effect_after_recovery(
    pg_url: str, own_redis: OwnRedis, launcher: Launcher
) -> None:
    """Invariant: instances agree with the durable revocation list once Redis
    is back.  A logout on a fail_open instance while Redis is down answers
    503, yet it has already revoked the family and written the access
    token's jti to PostgreSQL (which an instance started later loads).
    After Redis returns, every running instance must refuse that access
    token too -- not accept it until it expires."""
    fail_open, fail_closed = launcher.start(
        each=[OPEN, CLOSED], database_url=pg_url, redis_url=own_redis.url
    )
    async with client_for(fail_open) as on_open, client_for(fail_closed) as on_closed:
        email = unique_email("half-logout")
        await register(on_open, email)
        session = await login(on_open, email)
        killed = time.monotonic()
        await asyncio.to_thread(own_redis.kill)
        while await verify_status(on_closed, session.access) != 503:
            assert time.monotonic() - killed < DETECTION, "Redis loss not noticed"
            await asyncio.sleep(0.05)
        logout = await on_open.post("/auth/logout", headers=bearer(session.access))
        assert logout.status_code == 503, logout.text
        revoked_rows = psql_int(pg_url, "SELECT count(*) FROM revoked_tokens")
        assert revoked_rows >= 1  # durably revoked before Redis refused
        await asyncio.to_thread(own_redis.restart)
        restarted = time.monotonic()
        while (await on_closed.get("/readyz")).status_code != 200 or (
            await on_open.get("/readyz")
        ).status_code != 200:
            assert time.monotonic() - restarted < RECOVERY, "no recovery after the restart"
            await asyncio.sleep(0.05)
        for name, client in (("fail_open", on_open), ("fail_closed", on_closed)):
            assert await _eventually_refused(client, session.access), (
                f"{name} still accepts an access token that PostgreSQL lists as revoked"
            )


# --- PostgreSQL restart -------------------------------------------------------------------


@dataclass
class Traffic:
    phase: str = "before"  # before -> stopping -> down -> starting -> after
    refresh: list[tuple[str, str, int]] = field(default_factory=list)  # (start, end, status)
    verify: list[tuple[str, str, int]] = field(default_factory=list)
    others: dict[str, list[int]] = field(default_factory=dict)
    ok_after: Counter[int] = field(default_factory=Counter)  # user -> 200s after restart


async def test_postgres_restart_during_traffic(
    own_postgres: OwnPostgres, redis_url: str, launcher: Launcher
) -> None:
    """Invariants with PostgreSQL stopped (fast shutdown) and restarted under
    traffic, authgate left running: every request that needs the database
    answers 503 while it is down -- never 500; /auth/verify keeps answering
    200 (no database on the verify path); /readyz says 503; afterwards
    refresh, login and register work again without restarting authgate and
    no user or live session is lost."""
    url = own_postgres.url
    await sql.upgrade(sql.normalize_database_url(url))
    a, b = launcher.start(2, database_url=url, redis_url=redis_url, refresh_grace_seconds=GRACE)
    users = 4
    traffic = Traffic()
    async with client_for(a) as on_a, client_for(b) as on_b:
        clients = (on_a, on_b)
        sessions = await _sign_up(clients, users, "pg")
        before = counts(url)
        emails = [unique_email("pg-late") for _ in range(2)]

        async def user(index: int, tokens: Tokens) -> Tokens:
            for iteration in range(MAX_ITERATIONS):
                if traffic.phase == "after" and traffic.ok_after[index] >= 3:
                    break
                client = clients[(index + iteration) % 2]
                start = traffic.phase
                response = await client.post(
                    "/auth/refresh", json={"refresh_token": tokens.refresh}
                )
                traffic.refresh.append((start, traffic.phase, response.status_code))
                if response.status_code == 200:
                    tokens = Tokens.of(response)
                    if start == "after":
                        traffic.ok_after[index] += 1
                other = clients[(index + iteration + 1) % 2]
                start = traffic.phase
                status = await verify_status(other, tokens.access)
                traffic.verify.append((start, traffic.phase, status))
                await asyncio.sleep(0.02)
            return tokens

        def note(name: str, response: httpx.Response) -> None:
            traffic.others.setdefault(name, []).append(response.status_code)

        async def operator() -> None:
            await asyncio.sleep(0.8)
            traffic.phase = "stopping"
            await asyncio.to_thread(own_postgres.stop, "fast")
            traffic.phase = "down"
            await asyncio.sleep(0.3)
            for client in clients:
                note("readyz", await client.get("/readyz"))
                wrong = {"email": emails[0], "password": "Wrong-Guess-0000"}
                note("login", await client.post("/auth/login", json=wrong))
                fresh = {"email": emails[1], "password": PASSWORD}
                note("register", await client.post("/auth/register", json=fresh))
            await asyncio.sleep(1.0)
            traffic.phase = "starting"
            await asyncio.to_thread(own_postgres.start)
            traffic.phase = "after"

        async with asyncio.timeout(40), asyncio.TaskGroup() as group:
            loops = [group.create_task(user(i, s)) for i, s in enumerate(sessions)]
            group.create_task(operator())
        finals = [t.result() for t in loops]
        refresh_statuses = Counter(s for _, _, s in traffic.refresh)
        assert set(refresh_statuses) <= {200, 503}, refresh_statuses
        down_only = Counter(s for start, end, s in traffic.refresh if start == end == "down")
        assert down_only, "no refresh ran entirely during the outage"
        assert set(down_only) == {503}, down_only
        assert {s for _, _, s in traffic.verify} == {200}, Counter(traffic.verify)
        assert traffic.others == {"readyz": [503, 503], "login": [503, 503], "register": [503, 503]}
        assert all(traffic.ok_after[i] >= 3 for i in range(users)), traffic.ok_after
        after = counts(url)
        assert after == before, (before, after)
        for client in clients:
            assert (await client.get("/readyz")).status_code == 200
        for tokens in finals:
            await _refresh_everywhere(clients, tokens)
        late = emails[1]
        await register(on_b, late)
        await login(on_a, late)
    print(f"\npostgres restart: refresh {dict(refresh_statuses)}, during outage {dict(down_only)}")
