"""Suite ``login``: logins/s against the bare argon2 bound, and verify latency under a flood.

One ``authgate serve`` on both cores (not pinned), production argon2id profile
(``rfc9106-low-memory``: t=3, m=64 MiB, p=4), throttling limits raised so no
login is ever throttled, a few accounts created before timing.  Each round
runs three phases, in rotating order:

flood
    ``ops`` successful ``POST /auth/login`` (Bearer transport), at most
    ``CONCURRENCY`` in flight, from a thread pool in this process; logins/s =
    ops / wall time from the first request to the last answer.
bare
    The same number of argon2 verifications of the same password against a
    hash with the same parameters (authgate's own ``PasswordHasher.verify``),
    submitted at once to a ``ThreadPoolExecutor`` as large as the server's
    hashing pool (``authgate.service.hashing.HashingPool``: one thread per
    core); verifications/s = ops / wall time.  No HTTP, no database.
idle
    Nothing but the probe.

During every phase a paced probe (wrk, one connection, one request every
``PROBE_GAP_MS``) sends ``GET /auth/verify`` with a valid Bearer token; its
p99 in the idle phase is the baseline for its p99 during the flood.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final

from authgate.core.passwords import PROFILES, PasswordHasher
from benchmarks.harness import Budget, Finding, Report, Suite, Table, Target
from benchmarks.http_sides import PASSWORD, authgate_env
from benchmarks.procs import Server, WrkResult, free_port, http_call, parse_wrk

__all__ = ["SUITE", "run"]

PROFILE: Final = "rfc9106-low-memory"
ACCOUNTS: Final = 4
CONCURRENCY: Final = 12  # > the pool's workers: the server always has logins queued
EXECUTOR_WORKERS: Final = os.cpu_count() or 2  # the server's HashingPool size
PROBE_GAP_MS: Final = 10
PHASES: Final = ("flood", "bare", "idle")

NOTES: Final = (
    "Ratios are medians over rounds; each round runs the three phases (flood, bare, idle) in "
    "rotating order. Server: `authgate serve` on both cores (no taskset), "
    f"AUTHGATE_PASSWORD_PROFILE={PROFILE} (argon2id t=3, m=64 MiB, p=4), "
    "AUTHGATE_LOGIN_ACCOUNT_LIMIT and AUTHGATE_LOGIN_IP_LIMIT = 1,000,000, SQLite in a "
    "temp dir, events as JSON lines to a log file. Every login answer is checked: 'login "
    "errors' counts answers other than 200.",
    f"flood: `ops` POST /auth/login with JSON {{email, password}} and X-Auth-Transport: "
    f"bearer, spread over {ACCOUNTS} pre-created accounts, at most {CONCURRENCY} in flight "
    "(urllib in a thread pool of this process, a new connection per login). A login is: "
    "throttle check, user lookup (SQLite), argon2 verify in the HashingPool (one thread per "
    "core, nice 10), throttle "
    "reset, rehash check, a new refresh family (SQLite write), access + refresh tokens, "
    "the access jti recorded (SQLite write), JSON answer.",
    f"bare: the same number of PasswordHasher('{PROFILE}').verify(hash, password) calls - "
    "argon2-cffi with identical parameters, the call the server makes - submitted at once "
    f"to ThreadPoolExecutor(max_workers={EXECUTOR_WORKERS}) (= the server's HashingPool size, "
    "one thread per core, at normal priority). No HTTP, no "
    "database, no tokens: the upper bound for logins/s on this machine.",
    f"probe: `wrk -t1 -c1 --latency` with a Lua delay() of {PROBE_GAP_MS} ms between "
    "requests (about 100 requests/s, latency measured without the delay) sending GET "
    "/auth/verify with one valid Bearer token (answered from the verifier's cache, so it "
    "measures how promptly the event loop answers, not token work). It runs for ~80% of the "
    "flood's expected duration in every phase, so flood and bare carry the same extra "
    "load. 'p99 during bare' shows what CPU contention alone (hashing in another process, "
    "server idle) does to the probe: a server that blocked its event loop would be worse "
    "during flood than during bare.",
)


def _probe_script(work: Path) -> Path:
    script = work / "paced.lua"
    script.write_text(f"function delay()\n  return {PROBE_GAP_MS}\nend\n")
    return script


def _start_probe(server: Server, token: str, script: Path, seconds: float) -> subprocess.Popen[str]:
    argv = [
        "wrk",
        "-t1",
        "-c1",
        f"-d{math.ceil(seconds)}s",
        "--latency",
        "--timeout",
        "10s",
        "-H",
        f"Authorization: Bearer {token}",
        "-s",
        str(script),
        server.url("/auth/verify"),
    ]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603


def _finish_probe(probe: subprocess.Popen[str], seconds: float) -> WrkResult:
    out, _ = probe.communicate(timeout=seconds + 30)
    return parse_wrk(out)


def _login(server: Server, email: str) -> int:
    body = json.dumps({"email": email, "password": PASSWORD}).encode()
    status, _ = http_call(
        server.url("/auth/login"),
        body=body,
        headers={"Content-Type": "application/json", "X-Auth-Transport": "bearer"},
    )
    return status


def _flood(server: Server, ops: int) -> tuple[float, int]:
    """(logins/s, answers other than 200)."""
    emails = [f"bench{n % ACCOUNTS}@example.com" for n in range(ops)]
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        start = time.perf_counter()
        statuses = list(pool.map(lambda email: _login(server, email), emails))
        elapsed = time.perf_counter() - start
    return ops / elapsed, sum(status != 200 for status in statuses)


def _bare(hasher: PasswordHasher, stored: str, ops: int) -> float:
    with ThreadPoolExecutor(EXECUTOR_WORKERS) as pool:
        start = time.perf_counter()
        results = list(pool.map(lambda _: hasher.verify(stored, PASSWORD), range(ops)))
        elapsed = time.perf_counter() - start
    if not all(results):
        raise RuntimeError("the bare verification did not accept the password")
    return ops / elapsed


def _setup(work: Path) -> tuple[Server, str]:
    port = free_port()
    env = {
        **authgate_env(work, secrets.token_urlsafe(48), "https://bench.test", port, "l.db"),
        "AUTHGATE_PASSWORD_PROFILE": PROFILE,
        "AUTHGATE_LOGIN_ACCOUNT_LIMIT": "1000000",
        "AUTHGATE_LOGIN_IP_LIMIT": "1000000",
    }
    server = Server(
        "authgate",
        [str(Path(sys.executable).with_name("authgate")), "serve"],
        port=port,
        env=env,
        log_path=work / "authgate.log",
    )
    server.wait_ready("/healthz")
    token = ""
    for n in range(ACCOUNTS):
        body = {"email": f"bench{n}@example.com", "password": PASSWORD, "login": True}
        status, data = http_call(
            server.url("/auth/register"),
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "X-Auth-Transport": "bearer"},
        )
        if status != 201:
            server.stop()
            raise RuntimeError(f"register answered {status}")
        token = data["access_token"]
    return server, token


def run(budget: Budget) -> Report:
    """Measure the ``login`` suite."""
    hasher = PasswordHasher(PROFILES[PROFILE])
    stored = hasher.hash(PASSWORD)
    logins: list[float] = []
    bare: list[float] = []
    probes: dict[str, list[WrkResult]] = {phase: [] for phase in PHASES}
    errors = 0
    with tempfile.TemporaryDirectory(prefix="authgate-bench-login-") as tmp:
        work = Path(tmp)
        script = _probe_script(work)
        server, token = _setup(work)
        try:
            warm_start = time.perf_counter()
            _, warm_errors = _flood(server, max(ACCOUNTS, budget.ops // 2))  # warm-up, untimed
            errors += warm_errors
            expected = (
                (time.perf_counter() - warm_start) * budget.ops / max(ACCOUNTS, budget.ops // 2)
            )
            probe_seconds = float(max(1, round(0.8 * expected)))  # wrk takes whole seconds

            def flood() -> None:
                nonlocal errors
                rate, failed = _flood(server, budget.ops)
                logins.append(rate)
                errors += failed

            actions: dict[str, Callable[[], None]] = {
                "flood": flood,
                "bare": lambda: bare.append(_bare(hasher, stored, budget.ops)),
                "idle": lambda: time.sleep(probe_seconds),
            }
            for round_no in range(budget.rounds):
                start = round_no % len(PHASES)
                for phase in (*PHASES[start:], *PHASES[:start]):
                    probe = _start_probe(server, token, script, probe_seconds)
                    time.sleep(0.05)  # let wrk connect before the load starts
                    actions[phase]()
                    probes[phase].append(_finish_probe(probe, probe_seconds))
                print(f"  login: round {round_no + 1}/{budget.rounds} done", file=sys.stderr)
        finally:
            server.stop()
    return _report(budget, logins, bare, probes, errors, probe_seconds)


def _report(
    budget: Budget,
    logins: list[float],
    bare: list[float],
    probes: dict[str, list[WrkResult]],
    errors: int,
    probe_seconds: float,
) -> Report:
    p99 = {phase: statistics.median(r.p99_ms for r in probes[phase]) for phase in PHASES}
    p50 = {phase: statistics.median(r.p50_ms for r in probes[phase]) for phase in PHASES}
    n = {phase: sum(r.requests for r in probes[phase]) for phase in PHASES}
    probe_errors = sum(r.non_2xx + r.socket_errors for rs in probes.values() for r in rs)
    login_rate, bare_rate = statistics.median(logins), statistics.median(bare)
    rows = (
        ("logins/s, HTTP flood [2]", f"{login_rate:.2f}", f"{min(logins):.2f}-{max(logins):.2f}"),
        (
            "argon2 verifications/s, bare pool [3]",
            f"{bare_rate:.2f}",
            f"{min(bare):.2f}-{max(bare):.2f}",
        ),
        *(
            (
                f"probe /auth/verify during {phase} [4]: p50 / p99 ms ({n[phase]} req)",
                f"{p50[phase]:.2f} / {p99[phase]:.2f}",
                "",
            )
            for phase in PHASES
        ),
        ("login errors / probe errors", f"{errors} / {probe_errors}", ""),
    )
    findings = [
        Finding(
            "logins_vs_bare",
            "logins/s / bare argon2 verifications/s",
            login_rate / bare_rate,
            Target(">=", 0.9),
            higher_is_better=True,
        ),
        Finding(
            "verify_p99_flood_vs_idle",
            "probe p99 during flood / idle",
            p99["flood"] / p99["idle"],
            Target("<=", 2.0),
        ),
        Finding(
            "verify_p99_bare_vs_idle",
            "probe p99 during bare hashing / idle",
            p99["bare"] / p99["idle"],
        ),
    ]
    figures = {"logins_per_s": login_rate, "bare_verifications_per_s": bare_rate}
    figures.update({f"probe_p99_{phase}_ms": p99[phase] for phase in PHASES})
    figures.update({f"probe_p50_{phase}_ms": p50[phase] for phase in PHASES})
    figures.update({"login_errors": errors, "probe_errors": probe_errors})
    return Report(
        suite="login",
        budget=budget,
        title=f"{budget.mode} mode, {budget.rounds} rounds x (flood of {budget.ops} logins, "
        f"{budget.ops} bare verifications, idle); probe {probe_seconds:.1f} s per phase; "
        "medians over rounds",
        tables=[Table(("measure", "median", "min-max"), rows)],
        findings=findings,
        notes=NOTES,
        figures=figures,
        info={"executor_workers": EXECUTOR_WORKERS, "concurrency": CONCURRENCY},
    )


SUITE: Final = Suite(
    name="login",
    help="logins/s vs the bare argon2 bound; /auth/verify p99 during a login flood",
    full=Budget("full", rounds=5, ops=30),
    quick=Budget("quick", rounds=3, ops=6),
    run=run,
)
