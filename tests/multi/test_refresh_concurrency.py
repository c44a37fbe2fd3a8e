"""Fifty concurrent refreshes of one refresh token, over HTTP.

Inside the grace window every caller (two tabs, a retrying client, two
instances behind a load balancer) gets the *same* successor and exactly one
successor row exists; with no grace window exactly one rotation commits and
the other presentations are treated as theft: the family and all its access
tokens are revoked.
Run on two instances sharing PostgreSQL + Redis, and on one instance over a
SQLite file (the embedded topology).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx
import pytest

from ._instances import (
    Launcher,
    Tokens,
    client_for,
    jwt_claims,
    login,
    problem_code,
    register,
    unique_email,
    verify_status,
)
from ._services import psql_int
from .conftest import Shared

CALLERS: Final = 50
GRACE: Final = 10


@dataclass(frozen=True, slots=True)
class FamilyRows:
    """What the database holds for one refresh-token family."""

    tokens: int
    spent: int
    revoked: bool
    families_of_user: int
    orphans: int  # refresh_tokens rows whose family row is missing


_FAMILY_SQL: Final = {
    "tokens": "SELECT count(*) FROM refresh_tokens WHERE family_id = '{sid}'",
    "spent": "SELECT count(*) FROM refresh_tokens WHERE family_id = '{sid}'"
    " AND spent_at IS NOT NULL",
    "revoked": "SELECT count(*) FROM families WHERE id = '{sid}' AND revoked_at IS NOT NULL",
    "families_of_user": "SELECT count(*) FROM families WHERE user_id = '{uid}'",
    "orphans": "SELECT count(*) FROM refresh_tokens r"
    " LEFT JOIN families f ON f.id = r.family_id WHERE f.id IS NULL",
}


def _check_id(value: str) -> str:
    # ids are url-safe base64 with a prefix: safe to put in SQL text
    assert value.replace("_", "").replace("-", "").isalnum(), value
    return value


def _rows(values: dict[str, int]) -> FamilyRows:
    return FamilyRows(
        tokens=values["tokens"],
        spent=values["spent"],
        revoked=bool(values["revoked"]),
        families_of_user=values["families_of_user"],
        orphans=values["orphans"],
    )


def postgres_rows(url: str, sid: str, uid: str) -> FamilyRows:
    ids = {"sid": _check_id(sid), "uid": _check_id(uid)}
    return _rows({k: psql_int(url, sql.format(**ids)) for k, sql in _FAMILY_SQL.items()})


def sqlite_rows(path: Path, sid: str, uid: str) -> FamilyRows:
    ids = {"sid": _check_id(sid), "uid": _check_id(uid)}
    with contextlib.closing(sqlite3.connect(path)) as db:
        values = {
            k: int(db.execute(sql.format(**ids)).fetchone()[0]) for k, sql in _FAMILY_SQL.items()
        }
    return _rows(values)


async def _warm(clients: Sequence[httpx.AsyncClient], per_client: int) -> None:
    """Open ``per_client`` kept-alive connections each, so the storm starts at once."""
    await asyncio.gather(*(c.get("/healthz") for c in clients for _ in range(per_client)))


async def storm(clients: Sequence[httpx.AsyncClient], refresh_token: str) -> list[httpx.Response]:
    """``CALLERS`` refreshes of one token, round-robin over ``clients``,
    released together."""
    await _warm(clients, CALLERS // len(clients) + 1)
    go = asyncio.Event()

    async def one(index: int) -> httpx.Response:
        await go.wait()
        client = clients[index % len(clients)]
        return await client.post("/auth/refresh", json={"refresh_token": refresh_token})

    tasks = [asyncio.create_task(one(i)) for i in range(CALLERS)]
    await asyncio.sleep(0.05)
    go.set()
    return await asyncio.gather(*tasks)


async def _refused_everywhere(clients: Sequence[httpx.AsyncClient], access: str) -> bool:
    """Whether every instance refuses ``access`` within a second (pub/sub)."""
    for _ in range(50):
        statuses = [await verify_status(c, access) for c in clients]
        if all(s == 401 for s in statuses):
            return True
        await asyncio.sleep(0.02)
    return False


async def _run_storm(
    clients: Sequence[httpx.AsyncClient], grace: int
) -> tuple[Tokens, str, list[httpx.Response]]:
    first = clients[0]
    email = unique_email(f"storm-{grace}")
    user_id = await register(first, email)
    tokens = await login(first, email)
    responses = await storm(clients, tokens.refresh)
    return tokens, user_id, responses


async def _assert_grace_outcome(
    clients: Sequence[httpx.AsyncClient], responses: list[httpx.Response], rows: FamilyRows
) -> None:
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: CALLERS}, f"{statuses}: {[r.text for r in responses][:3]}"
    successors = {r.json()["refresh_token"] for r in responses}
    assert len(successors) == 1, f"{len(successors)} different successors"
    accesses = {r.json()["access_token"] for r in responses}
    assert len(accesses) == CALLERS  # each caller gets an access token of its own
    assert rows == FamilyRows(tokens=2, spent=1, revoked=False, families_of_user=1, orphans=0)
    (successor,) = successors
    follow_up = await clients[-1].post("/auth/refresh", json={"refresh_token": successor})
    assert follow_up.status_code == 200, follow_up.text  # the successor is a live token
    for client in clients:
        for access in list(accesses)[:5]:
            assert await verify_status(client, access) == 200


async def _assert_no_grace_outcome(
    clients: Sequence[httpx.AsyncClient], responses: list[httpx.Response], rows: FamilyRows
) -> None:
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {200, 401}, statuses
    assert statuses[200] <= 1, statuses
    codes = Counter(problem_code(r) for r in responses if r.status_code == 401)
    assert set(codes) <= {"refresh_reuse", "session_revoked"}, codes
    assert codes["refresh_reuse"] >= 1, codes
    # Exactly one rotation committed (one spent row, one successor), then theft
    # detection revoked the family.
    assert rows == FamilyRows(tokens=2, spent=1, revoked=True, families_of_user=1, orphans=0)
    for winner in (Tokens.of(r) for r in responses if r.status_code == 200):
        late = await clients[-1].post("/auth/refresh", json={"refresh_token": winner.refresh})
        assert late.status_code == 401, late.text
        # The family *and its access tokens* are revoked -- also the one
        # handed to the caller that won the race.
        assert await _refused_everywhere(clients, winner.access), (
            "the race winner's access token still verifies after its family was revoked"
        )


@pytest.mark.parametrize("grace", [GRACE, 0], ids=["grace", "no-grace"])
async def test_concurrent_refresh_across_two_instances(shared: Shared, grace: int) -> None:
    """Invariant (PostgreSQL + Redis, instances A and B): 50 concurrent
    refreshes of one token, split over A and B.  With a 10 s grace window:
    all 200 with one identical successor, and the family holds exactly two
    refresh_tokens rows (the spent one and its successor), no orphan.
    Without grace: exactly one rotation commits, every other caller gets 401,
    the family is revoked together with every access token it issued --
    including the winner's, so the winner may itself see 401 if the
    revocation overtook its response (at most one 200)."""
    instances = shared.start(2, refresh_grace_seconds=grace)
    async with client_for(instances[0]) as on_a, client_for(instances[1]) as on_b:
        clients = (on_a, on_b)
        tokens, user_id, responses = await _run_storm(clients, grace)
        rows = postgres_rows(shared.pg_url, jwt_claims(tokens.refresh)["sid"], user_id)
        if grace:
            await _assert_grace_outcome(clients, responses, rows)
        else:
            await _assert_no_grace_outcome(clients, responses, rows)


@pytest.mark.parametrize("grace", [GRACE, 0], ids=["grace", "no-grace"])
async def test_concurrent_refresh_on_sqlite(launcher: Launcher, tmp_path: Path, grace: int) -> None:
    """Invariant (one instance, SQLite file, no Redis): the same 50-caller
    storm gives the same outcomes -- BEGIN IMMEDIATE serialises the
    rotations as PostgreSQL's row locks do."""
    database = tmp_path / "authgate.db"
    (instance,) = launcher.start(
        1, database_url=f"sqlite:///{database}", refresh_grace_seconds=grace
    )
    async with client_for(instance) as client:
        tokens, user_id, responses = await _run_storm([client], grace)
        rows = sqlite_rows(database, jwt_claims(tokens.refresh)["sid"], user_id)
        if grace:
            await _assert_grace_outcome([client], responses, rows)
        else:
            await _assert_no_grace_outcome([client], responses, rows)
