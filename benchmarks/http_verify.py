"""Suite ``http``: one server process each, pinned to core 1, loaded by wrk on core 0.

Every side is a real server subprocess started with ``taskset -c 1``; wrk
runs with ``taskset -c 0 wrk -t1 -c32 -d<N>s --latency``.  Rounds are
interleaved (each round visits every side, starting one side later than the
round before) after one untimed warm-up run per side.  The headline is the
server's CPU time per request: utime + stime of the server's whole process
tree, read from ``/proc/<pid>/stat`` right before and right after each wrk
run, divided by the requests wrk completed.  It is far less sensitive to
the noisy neighbours of a shared machine than requests/s.
"""

from __future__ import annotations

import json
import secrets
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from authgate.bootstrap import build_keyring, build_policy
from authgate.config import load_settings
from authgate.core import SystemClock, TokenIssuer
from benchmarks import http_sides
from benchmarks.harness import Budget, Finding, Report, Suite, Table, Target
from benchmarks.procs import Server, WrkResult, run_wrk, tree_cpu_seconds

__all__ = ["SUITE", "run"]

CONNECTIONS: Final = 32
COLD_TOKENS: Final = 5000  # > TokenVerifier's 4,096-entry FIFO cache: a cyclic walk never hits
PUBLIC_URL: Final = "https://bench.test"
BASELINE: Final = "hello"


@dataclass(frozen=True, slots=True)
class Side:
    """One row: a server, the request wrk sends, and what was measured."""

    key: str
    label: str
    server: Server
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    script: Path | None = None
    check_headers: Mapping[str, str] | None = None  # for the pre-timing check; default headers
    runs: list[tuple[WrkResult, float]] = field(default_factory=list)  # (wrk, cpu s)

    def load(self, seconds: float) -> tuple[WrkResult, float]:
        before = tree_cpu_seconds(self.server.pid)
        result = run_wrk(
            self.server.url(self.path),
            seconds=seconds,
            connections=CONNECTIONS,
            headers=self.headers,
            script=self.script,
        )
        return result, tree_cpu_seconds(self.server.pid) - before

    def median(self, figure: Callable[[WrkResult, float], float]) -> float:
        return statistics.median(figure(result, cpu) for result, cpu in self.runs)

    @property
    def cpu_us(self) -> float:
        return self.median(lambda r, cpu: cpu / max(r.requests, 1) * 1e6)

    @property
    def errors(self) -> int:
        return sum(r.non_2xx + r.socket_errors for r, _ in self.runs)


def _cold_script(work: Path, secret: str) -> tuple[Path, str]:
    """A wrk script cycling through COLD_TOKENS distinct valid tokens, and the first token."""
    settings = load_settings(public_url=PUBLIC_URL, jwt_secret=secret)
    ring, _ = build_keyring(settings, SystemClock())
    issuer = TokenIssuer(ring, build_policy(settings), SystemClock())
    issued = [
        issuer.issue_access_token(subject=f"u_cold{n:06d}", role="user").token
        for n in range(COLD_TOKENS)
    ]
    tokens = work / "cold-tokens.txt"
    tokens.write_text("".join(token + "\n" for token in issued))
    script = work / "cold.lua"
    script.write_text(
        "local tokens = {}\n"
        f"for line in io.lines({json.dumps(str(tokens))}) do tokens[#tokens + 1] = line end\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n % #tokens + 1\n"
        '  return wrk.format("GET", "/auth/verify", {["Authorization"] = "Bearer " .. tokens[n]})\n'
        "end\n"
    )
    return script, issued[0]


@contextmanager
def _sides(work: Path) -> Iterator[tuple[list[Side], list[str]]]:
    secret = secrets.token_urlsafe(48)
    servers = http_sides.start_servers(work, secret, PUBLIC_URL)
    try:
        for server in servers.values():
            server.wait_ready(http_sides.READY_PATH[server.name])
        bearer = http_sides.authgate_token(servers["authgate"])
        cold_script, cold_token = _cold_script(work, secret)
        sides = [
            Side("hello", "FastAPI hello world (uvicorn) [2]", servers["hello"], "/hello"),
            Side(
                "authgate",
                "authgate GET /auth/verify, uvicorn [3]",
                servers["authgate"],
                "/auth/verify",
                {"Authorization": f"Bearer {bearer}"},
            ),
            Side(
                "authgate_cold",
                f"authgate /auth/verify, {COLD_TOKENS:,} tokens, uvicorn [4]",
                servers["authgate"],
                "/auth/verify",
                script=cold_script,
                check_headers={"Authorization": f"Bearer {cold_token}"},
            ),
            Side(
                "pyjwt",
                "FastAPI + PyJWT Depends (uvicorn) [5]",
                servers["pyjwt"],
                "/verify",
                {"Authorization": f"Bearer {bearer}"},
            ),
        ]
        skipped = []
        if "granian" in servers:
            sides.append(
                Side(
                    "authgate_granian",
                    "authgate GET /auth/verify, granian [6]",
                    servers["granian"],
                    "/auth/verify",
                    {"Authorization": f"Bearer {bearer}"},
                )
            )
            users_token = http_sides.fastapi_users_token(servers["fastapi_users"])
            sides.append(
                Side(
                    "fastapi_users",
                    "fastapi-users GET /users/me (uvicorn) [7]",
                    servers["fastapi_users"],
                    "/users/me",
                    {"Authorization": f"Bearer {users_token}"},
                )
            )
            sides.append(
                Side(
                    "flask_jwt",
                    "flask-jwt-extended (gunicorn, 1 sync worker) [8]",
                    servers["flask"],
                    "/verify",
                    {"Authorization": f"Bearer {bearer}"},
                )
            )
        else:
            skipped.append(http_sides.SKIPPED)
        for side in sides:
            http_sides.check_ok(side.server, side.path, side.check_headers or side.headers)
        yield sides, skipped
    finally:
        for server in servers.values():
            server.stop()


def _table(sides: list[Side], hello: Side) -> Table:
    rows = []
    for side in sides:
        rows.append(
            (
                side.label,
                f"{side.median(lambda r, _: r.rps):,.0f}",
                f"{side.median(lambda r, _: r.p50_ms):.2f}",
                f"{side.median(lambda r, _: r.p99_ms):.2f}",
                f"{side.cpu_us:.1f}",
                "(baseline)" if side is hello else f"{side.cpu_us / hello.cpu_us:.2f}",
                str(side.errors),
            )
        )
    columns = ("case", "req/s", "p50 ms", "p99 ms", "CPU µs/req", "CPU/req vs hello", "errors")
    return Table(columns, tuple(rows))


def run(budget: Budget) -> Report:
    """Measure the ``http`` suite."""
    warmup = 1.0 if budget.seconds < 5 else 2.0
    with (
        tempfile.TemporaryDirectory(prefix="authgate-bench-http-") as tmp,
        _sides(Path(tmp)) as (sides, skipped),
    ):
        for side in sides:
            side.load(warmup)
        for round_no in range(budget.rounds):
            start = round_no % len(sides)
            for side in (*sides[start:], *sides[:start]):
                side.runs.append(side.load(budget.seconds))
            print(f"  http: round {round_no + 1}/{budget.rounds} done", file=sys.stderr)
    by_key = {side.key: side for side in sides}
    hello = by_key[BASELINE]
    findings = [
        Finding(
            f"{side.key}_cpu_vs_hello",
            f"{side.key}: CPU/request / hello's",
            side.cpu_us / hello.cpu_us,
            Target("<=", 1.0) if side.key == "authgate" else None,
        )
        for side in sides
        if side is not hello
    ]
    if "authgate_granian" in by_key:
        uvicorn, granian = by_key["authgate"], by_key["authgate_granian"]
        findings.append(
            Finding(
                "granian_vs_uvicorn_cpu",
                "authgate CPU/request: granian / uvicorn",
                granian.cpu_us / uvicorn.cpu_us,
            )
        )
        rps = granian.median(lambda r, _: r.rps) / uvicorn.median(lambda r, _: r.rps)
        findings.append(
            Finding(
                "granian_vs_uvicorn_rps",
                "authgate req/s: granian / uvicorn",
                rps,
                higher_is_better=True,
            )
        )
    figures: dict[str, float] = {}
    for side in sides:
        figures[f"{side.key}_cpu_us_per_req"] = side.cpu_us
        figures[f"{side.key}_rps"] = side.median(lambda r, _: r.rps)
        figures[f"{side.key}_p50_ms"] = side.median(lambda r, _: r.p50_ms)
        figures[f"{side.key}_p99_ms"] = side.median(lambda r, _: r.p99_ms)
        figures[f"{side.key}_errors"] = side.errors
    return Report(
        suite="http",
        budget=budget,
        title=f"{budget.mode} mode, {budget.rounds} interleaved rounds x {budget.seconds:g} s "
        f"of wrk -t1 -c{CONNECTIONS} per side (after a {warmup:g} s warm-up); server on "
        "core 1, wrk on core 0; medians over rounds",
        tables=[_table(sides, hello)],
        findings=findings,
        notes=http_sides.NOTES,
        figures=figures,
        lines=skipped,
        info={"versions": http_sides.versions()},
    )


SUITE: Final = Suite(
    name="http",
    help="GET /auth/verify vs hello world, FastAPI+PyJWT, fastapi-users, flask-jwt-extended",
    full=Budget("full", rounds=4, seconds=10.0),
    quick=Budget("quick", rounds=3, seconds=3.0),
    run=run,
)
