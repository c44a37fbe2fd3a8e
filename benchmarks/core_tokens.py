"""Suite ``core``: HS256 access tokens, authgate against bare PyJWT and the stdlib floor.

issue
    ``TokenIssuer.issue_access_token`` against ``jwt.encode`` of the same
    claims (built per call, as an issuer must: fresh ``jti``, current time)
    with the same key and the same ``kid``/``typ`` headers.
verify, cold
    Every call gets a different valid token and can never hit a cache: the
    verifier is built with ``cache_size=0`` *and* ``ops`` distinct tokens are
    walked in each round.  Against ``jwt.decode`` of the same tokens with the
    same key, algorithm, audience, issuer and leeway, and the stdlib floor.
verify, warm
    One token verified ``ops`` times by a verifier with the default cache
    (4,096 entries; a hit still checks exp/nbf and revocation) against
    ``jwt.decode`` of that token ``ops`` times.  The cache's memory for 4,096
    entries is measured with ``tracemalloc``.
joserfc (optional)
    In ``.venv-bench``, joserfc's ``jwt.decode`` + ``JWTClaimsRegistry`` against
    PyJWT measured in that same subprocess (:mod:`benchmarks.workers.joserfc_verify`).

Everything runs under ``SystemClock``: tokens are valid when verified.
"""

from __future__ import annotations

import gc
import statistics
import tracemalloc
from dataclasses import dataclass
from itertools import repeat
from typing import Final

from authgate.core import TokenVerifier
from benchmarks import core_sides as sides
from benchmarks.harness import Budget, Case, Finding, Ratio, Report, Suite, Target, measure
from benchmarks.harness import micro_table as table_of
from benchmarks.procs import SETUP_HINT, bench_python, run_worker

__all__ = ["SUITE", "cache_memory", "run"]

CACHE_ENTRIES: Final = 4096

RATIOS: Final = (
    Ratio("issue_vs_pyjwt", "issue_authgate", "issue_pyjwt", "authgate issue / pyjwt encode"),
    Ratio(
        "verify_cold_vs_pyjwt",
        "verify_cold_authgate",
        "verify_cold_pyjwt",
        "cold: authgate verify / pyjwt decode",
        Target("<=", 0.6),
    ),
    Ratio(
        "verify_cold_vs_floor",
        "verify_cold_authgate",
        "verify_floor",
        "cold: authgate verify / stdlib floor",
    ),
    Ratio("pyjwt_vs_floor", "verify_cold_pyjwt", "verify_floor", "pyjwt decode / stdlib floor"),
    Ratio(
        "verify_warm_vs_pyjwt",
        "verify_warm_authgate",
        "verify_warm_pyjwt",
        "warm: authgate verify / pyjwt decode",
        Target("<=", 0.1),  # ">= 10x faster"
    ),
)

NOTES: Final = (
    *sides.NOTES,
    "verify cold, authgate: TokenVerifier(..., cache_size=0).verify_access_token over "
    "`ops` distinct tokens per round (the same list every side walks) - with cache_size=0 "
    "nothing is ever remembered, so every call does the full check of [4].",
    "verify warm, authgate: the default TokenVerifier (cache_size=4096) verifying one token "
    "`ops` times after one untimed verification: a cache hit, which still runs check_times "
    "(exp/nbf/iat with leeway, on SystemClock) and the revocation lookup. pyjwt warm: "
    "jwt.decode of that same token `ops` times, as in [5] (PyJWT has no cache).",
    "cache memory: tracemalloc of a default verifier after 4,096 distinct verifications, "
    "counting what the cache keeps alive: the dict, the token strings (fresh copies, as a "
    "server decodes each from its request) and the AccessClaims with their strings.",
    "joserfc (optional, .venv-bench): joserfc.jwt.decode(token, OctKey, algorithms=['HS256']) "
    "then JWTClaimsRegistry(leeway=30, iss/aud by value, sub/exp/nbf/iat/jti essential)."
    "validate(claims), against the PyJWT call of [5], both in one .venv-bench subprocess over "
    "the same distinct tokens; only their ratio is comparable with this table.",
)


@dataclass(frozen=True, slots=True)
class CacheMemory:
    entries: int
    bytes: int

    @property
    def per_entry(self) -> float:
        return self.bytes / self.entries


def cache_memory(fixture: sides.Fixture, entries: int = CACHE_ENTRIES) -> CacheMemory:
    """Bytes a default verifier's cache keeps alive for ``entries`` distinct tokens."""
    tokens = [
        fixture.issuer.issue_access_token(subject=f"u_{n:08x}", role="user").token
        for n in range(entries)
    ]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        verifier = TokenVerifier(  # the default cache_size
            fixture.verifier.keyring, fixture.verifier.policy, fixture.clock, fixture.revocations
        )
        for token in tokens:
            verifier.verify_access_token("".join(token))  # a fresh str, like a request's
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    if verifier.cache_size != entries:
        raise RuntimeError("the default cache size changed: update CACHE_ENTRIES")
    return CacheMemory(entries, after - before)


def _warm_cases(fixture: sides.Fixture, ops: int) -> tuple[Case, Case]:
    token = fixture.tokens[0]
    warm = fixture.verifier_with(fixture.revocations, cache_size=CACHE_ENTRIES)
    warm.verify_access_token(token)  # now cached
    verify, decode = warm.verify_access_token, fixture.pyjwt_decode

    def authgate() -> None:
        for _ in repeat(None, ops):
            verify(token)

    def pyjwt() -> None:
        for _ in repeat(None, ops):
            decode(token)

    return (
        Case("verify_warm_authgate", "verify warm: authgate, cache hit [8]", authgate),
        Case("verify_warm_pyjwt", "verify warm: pyjwt decode, same token [8]", pyjwt),
    )


def _joserfc(budget: Budget) -> tuple[list[Finding], dict[str, float], dict[str, object]]:
    python = bench_python()
    if python is None:
        return [], {}, {"joserfc": f"skipped: no .venv-bench ({SETUP_HINT})"}
    result = run_worker(
        python,
        "benchmarks.workers.joserfc_verify",
        str(budget.ops),
        str(budget.rounds),
        timeout=600,
    )
    medians = {side: statistics.median(values) for side, values in result["samples"].items()}
    finding = Finding(
        "joserfc_vs_pyjwt",
        "joserfc decode+validate / pyjwt decode (.venv-bench) [10]",
        medians["joserfc"] / medians["pyjwt"],
    )
    figures = {"joserfc_us": medians["joserfc"], "pyjwt_in_joserfc_worker_us": medians["pyjwt"]}
    return [finding], figures, {"joserfc": result["versions"]}


def run(budget: Budget) -> Report:
    """Measure the ``core`` suite."""
    fixture = sides.Fixture.create(budget.ops)
    fixture.check()
    cold = fixture.verifier_with(fixture.revocations, cache_size=0)
    cases = (
        *fixture.issue_cases(budget.ops),
        Case(
            "verify_cold_authgate",
            "verify cold: authgate, cache_size=0 [4][7]",
            fixture.verify_body(cold),
        ),
        Case("verify_cold_pyjwt", "verify cold: pyjwt decode [5]", fixture.decode_body()),
        Case("verify_floor", "verify cold: stdlib floor [6]", fixture.floor_body()),
        *_warm_cases(fixture, budget.ops),
    )
    table, findings, figures = table_of("core", cases, measure(cases, budget), RATIOS)
    memory = cache_memory(fixture)
    figures["cache_bytes_4096"] = memory.bytes
    figures["cache_bytes_per_entry"] = memory.per_entry
    jose_findings, jose_figures, info = _joserfc(budget)
    findings.extend(jose_findings)
    figures.update(jose_figures)
    extra = [
        f"cache memory for {memory.entries:,} entries [9]: {memory.bytes / 1024:,.0f} KiB "
        f"({memory.per_entry:,.0f} B/entry)"
    ]
    if "joserfc_us" in jose_figures:
        extra.append(
            f"joserfc [10]: {jose_figures['joserfc_us']:.2f} µs/op vs pyjwt "
            f"{jose_figures['pyjwt_in_joserfc_worker_us']:.2f} µs/op in the same subprocess"
        )
    else:
        extra.append(f"joserfc [10]: {info['joserfc']}")
    return Report(
        suite="core",
        budget=budget,
        title=f"{budget.mode} mode, {budget.rounds} interleaved rounds x {budget.ops:,} ops "
        "per case (after 1 warm-up round); medians over rounds",
        tables=[table],
        findings=findings,
        notes=NOTES,
        figures=figures,
        lines=extra,
        info=info,
    )


SUITE: Final = Suite(
    name="core",
    help="HS256 tokens: authgate issue/verify (cold and cached) vs PyJWT, joserfc, stdlib floor",
    full=Budget("full", rounds=9, ops=20_000),
    quick=Budget("quick", rounds=3, ops=2_000),
    run=run,
)
