"""Two instances behind one (imaginary) load balancer: one service to clients.

Sessions live in the shared PostgreSQL, so any instance refreshes a session
another one started; revocations travel through Redis pub/sub into every
instance's in-memory list, so a logout on one instance is refused by the
others within milliseconds; login throttling counts in Redis, so a guesser
gains nothing by spreading attempts over instances.
"""

from __future__ import annotations

import math
import statistics
import time
from typing import Final

import httpx
import pytest

from ._instances import (
    PASSWORD,
    Tokens,
    bearer,
    client_for,
    login,
    problem_code,
    register,
    unique_email,
    verify_status,
)
from .conftest import Shared

TRIALS: Final = 25
WARM_UP: Final = 1  # untimed: A's first refusal pays for lazy imports, not for propagation
P99_BOUND: Final = 0.100  # seconds
POLL_DEADLINE: Final = 2.0  # seconds per trial


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


async def _poll_until_refused(client: httpx.AsyncClient, access: str, since: float) -> float:
    """Seconds from ``since`` until ``client`` answers 401 for ``access``
    (only 200 is allowed before); polls back-to-back on one connection."""
    while (now := time.perf_counter()) - since < POLL_DEADLINE:
        response = await client.get("/auth/verify", headers=bearer(access))
        if response.status_code == 401:
            assert problem_code(response) == "revoked", response.text
            return time.perf_counter() - since
        assert response.status_code == 200, response.text
    raise AssertionError(f"still accepted {now - since:.3f} s after the logout elsewhere")


async def test_session_moves_between_instances_and_logout_propagates(
    shared: Shared, capsys: pytest.CaptureFixture[str]
) -> None:
    """Invariant: the instances are one service.  A session started on A is
    refreshed on B (shared PostgreSQL); a logout on B makes A refuse the
    session's access tokens -- also the one A issued before B refreshed --
    within 100 ms at the 99th percentile over 25 trials (Redis pub/sub into
    A's in-memory revocation list; A does no database read on verify).

    Latency is measured from B's 204 to the arrival of A's first 401, polling
    A back to back on a kept-alive connection: an upper bound that includes
    one verify round trip."""
    a, b = shared.start(2)
    async with client_for(a) as on_a, client_for(b) as on_b:
        email = unique_email("moves")
        await register(on_a, email)
        latencies: list[float] = []
        for trial in range(WARM_UP + TRIALS):
            first = await login(on_a, email)
            moved = await on_b.post("/auth/refresh", json={"refresh_token": first.refresh})
            second = Tokens.of(moved)
            assert second.refresh != first.refresh
            for client in (on_a, on_b):
                for access in (first.access, second.access):
                    assert await verify_status(client, access) == 200
            response = await on_b.post("/auth/logout", headers=bearer(second.access))
            logged_out = time.perf_counter()
            assert response.status_code == 204, response.text
            latency = await _poll_until_refused(on_a, first.access, logged_out)
            if trial >= WARM_UP:
                latencies.append(latency)
            assert await verify_status(on_a, second.access) == 401
            refused = await on_a.post("/auth/refresh", json={"refresh_token": second.refresh})
            assert refused.status_code == 401, refused.text
    p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
    with capsys.disabled():
        print(
            f"\nlogout propagation B -> A over {len(latencies)} trials: "
            f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
        )
    assert p99 <= P99_BOUND, f"p99 {p99 * 1000:.1f} ms > {P99_BOUND * 1000:.0f} ms: {latencies}"


async def test_login_throttle_counts_attempts_on_every_instance(shared: Shared) -> None:
    """Invariant: failed logins are counted once for the whole service.  With
    an account limit of 4, four wrong passwords alternated between A and B
    (two on each) trip the throttle: the fifth attempt gets 429 with
    Retry-After on either instance, even with the right password.  Counters
    kept per instance would allow eight."""
    a, b = shared.start(2, login_account_limit=4, login_base_delay=60)
    async with client_for(a) as on_a, client_for(b) as on_b:
        email = unique_email("throttled")
        await register(on_a, email)
        for attempt, client in enumerate((on_a, on_b, on_a, on_b), start=1):
            response = await client.post(
                "/auth/login", json={"email": email, "password": "Wrong-Guess-0000"}
            )
            assert response.status_code == 401, f"attempt {attempt}: {response.text}"
        for client in (on_a, on_b):
            for password in ("Wrong-Guess-0000", PASSWORD):
                response = await client.post(
                    "/auth/login", json={"email": email, "password": password}
                )
                assert response.status_code == 429, response.text
                assert int(response.headers["Retry-After"]) > 0
        other = unique_email("unaffected")
        await register(on_b, other)
        await login(on_a, other)  # the counter is per account, not global
