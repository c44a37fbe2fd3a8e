"""The measuring and reporting every suite shares.

A micro suite hands over :class:`Case`\\ s (one timed loop each); :func:`measure`
runs them in one process, interleaved round by round, and :func:`micro_table`
turns the samples into a table and :class:`Finding`\\ s.  Suites that measure
servers or databases build their :class:`Table` themselves.  :func:`render`
prints the tables, the ratios with their targets, the machine, the suite's
footnotes and, last, one line of JSON.

Noise control, in order of effect: rounds are interleaved (a burst of machine
noise hits every side in that round, not just one); each round starts at the
next case (A,B,C / B,C,A / C,A,B ...) so no case always runs right after the
same neighbour; a discarded warm-up round comes first; the garbage collector
is run before and disabled during each timed loop; every figure is a median
over rounds.  Targets are reported, never asserted.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import platform
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Final, Literal

__all__ = [
    "Budget",
    "Case",
    "Finding",
    "Ratio",
    "Report",
    "Suite",
    "Table",
    "Target",
    "ameasure",
    "combined_line",
    "machine_info",
    "measure",
    "micro_table",
    "render",
]

_DIGITS: Final = 4


@dataclass(frozen=True, slots=True)
class Budget:
    """How long a suite runs.

    ``rounds`` interleaved timed rounds; per round, ``ops`` operations per
    case (micro suites, logins, rotations) and/or ``seconds`` of load per
    case (HTTP suites).
    """

    mode: str
    rounds: int
    ops: int = 0
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Case:
    """One side of a micro comparison.

    ``body`` performs exactly the budget's ``ops`` operations per call; the
    loop lives inside it so the harness adds no per-operation overhead.
    """

    key: str  # JSON key, e.g. "verify_cold_authgate"
    label: str
    body: Callable[[], object]


@dataclass(frozen=True, slots=True)
class Target:
    """The issue's goal for a ratio: ``value <op> bound``."""

    op: Literal["<=", ">="]
    bound: float

    def met(self, value: float) -> bool:
        return value <= self.bound if self.op == "<=" else value >= self.bound

    def __str__(self) -> str:
        return f"{self.op} {self.bound:g}"


@dataclass(frozen=True, slots=True)
class Ratio:
    """``numerator`` median / ``denominator`` median; below 1 means the numerator is faster."""

    key: str
    numerator: str
    denominator: str
    label: str
    target: Target | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """A measured ratio, with the target it is held against (if any)."""

    key: str
    label: str
    value: float
    target: Target | None = None
    higher_is_better: bool = False  # e.g. a throughput ratio

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.value)

    def verdict(self) -> str:
        met = self.met
        if met is None:
            return "(no target)"
        return f"target {self.target}: {'MET' if met else 'MISSED'}"


@dataclass(frozen=True, slots=True)
class Table:
    """Rows of text cells under ``columns``; numeric-looking cells are right-aligned."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def lines(self) -> list[str]:
        rows = [self.columns, *self.rows]
        widths = [max(len(row[col]) for row in rows) for col in range(len(self.columns))]
        numeric = [
            all(_looks_numeric(row[col]) for row in self.rows if row[col])
            for col in range(len(self.columns))
        ]
        out = []
        for index, row in enumerate(rows):
            cells = [
                cell.rjust(width) if right and index else cell.ljust(width)
                for cell, width, right in zip(row, widths, numeric, strict=True)
            ]
            out.append("  ".join(cells).rstrip())
            if index == 0:
                out.append("-" * len(out[0]))
        return out


def _looks_numeric(cell: str) -> bool:
    head = cell.split(" ", 1)[0].replace(",", "").replace("-", "").replace(".", "")
    return head.isdigit() or cell in ("n/a",)


@dataclass(frozen=True, slots=True)
class Report:
    """What a suite measured, ready for :func:`render`."""

    suite: str
    budget: Budget
    title: str
    tables: Sequence[Table]
    findings: Sequence[Finding]
    notes: Sequence[str]
    figures: Mapping[str, float]  # medians and other numbers for the JSON line
    lines: Sequence[str] = ()  # free text printed under the tables
    info: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Suite:
    """A subcommand of ``python -m benchmarks``."""

    name: str
    help: str
    full: Budget
    quick: Budget
    run: Callable[[Budget], Report]


def _timed(body: Callable[[], object]) -> int:
    """Nanoseconds for one call of ``body``, with the collector off."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        body()
        return time.perf_counter_ns() - start
    finally:
        if was_enabled:
            gc.enable()


def measure(cases: Sequence[Case], budget: Budget) -> dict[str, list[float]]:
    """µs/op of every case for each of ``budget.rounds`` interleaved rounds.

    One untimed warm-up round runs first (imports, caches, branch predictors).
    """
    for case in cases:
        case.body()
    samples: dict[str, list[float]] = {case.key: [] for case in cases}
    for round_no in range(budget.rounds):
        start = round_no % len(cases)
        for case in (*cases[start:], *cases[:start]):
            elapsed_ns = _timed(case.body)
            samples[case.key].append(elapsed_ns / budget.ops / 1000)
    return samples


async def ameasure(
    bodies: Mapping[str, Callable[[], Awaitable[object]]], budget: Budget
) -> dict[str, list[float]]:
    """:func:`measure` for coroutines: µs/op per interleaved round, after a warm-up round.

    The collector is run before each timed loop and disabled during it, as in
    :func:`measure`; other tasks of the loop keep running.
    """
    keys = list(bodies)
    for key in keys:
        await bodies[key]()
    samples: dict[str, list[float]] = {key: [] for key in keys}
    for round_no in range(budget.rounds):
        start = round_no % len(keys)
        for key in (*keys[start:], *keys[:start]):
            gc.collect()
            gc.disable()
            try:
                begin = time.perf_counter_ns()
                await bodies[key]()
                elapsed_ns = time.perf_counter_ns() - begin
            finally:
                gc.enable()
            samples[key].append(elapsed_ns / budget.ops / 1000)
        await asyncio.sleep(0)
    return samples


def micro_table(
    suite: str,
    cases: Sequence[Case],
    samples: Mapping[str, Sequence[float]],
    ratios: Sequence[Ratio],
) -> tuple[Table, list[Finding], dict[str, float]]:
    """The µs/op table of a micro suite, its findings and its medians (``<key>_us``)."""
    medians = {key: statistics.median(values) for key, values in samples.items()}
    findings = [
        Finding(r.key, r.label, medians[r.numerator] / medians[r.denominator], r.target)
        for r in ratios
    ]
    by_numerator: dict[str, list[str]] = {}
    for ratio, finding in zip(ratios, findings, strict=True):
        by_numerator.setdefault(ratio.numerator, []).append(f"{r_text(finding)}")
    baselines = {ratio.denominator for ratio in ratios}
    rows: list[tuple[str, ...]] = []
    for case in cases:
        values = samples[case.key]
        texts = by_numerator.get(case.key) or ["(baseline)" if case.key in baselines else ""]
        spread = f"{min(values):.2f}-{max(values):.2f}"
        rows.append((suite, case.label, f"{medians[case.key]:.2f}", spread, texts[0]))
        rows.extend(("", "", "", "", more) for more in texts[1:])
    table = Table(("suite", "case", "median µs/op", "min-max µs/op", "ratio"), tuple(rows))
    return table, findings, {f"{key}_us": value for key, value in medians.items()}


def r_text(finding: Finding) -> str:
    """``label = value``, with the factor spelled out for ratios far below 1."""
    text = f"{finding.label} = {finding.value:.3g}"
    if 0 < finding.value < 0.5:
        text += f" ({1 / finding.value:.1f}x {'slower' if finding.higher_is_better else 'faster'})"
    return text


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict[str, str | int | float | None]:
    """Where the numbers come from; printed and put in the JSON line."""
    affinity = getattr(os, "sched_getaffinity", None)
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(affinity(0)) if affinity is not None else None,
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "pyjwt": metadata.version("pyjwt"),
        "authgate": metadata.version("authgate"),
    }


def _json(value: float) -> float:
    return round(value, _DIGITS)


def render(report: Report) -> str:
    """Tables, targets, machine, footnotes; the last line is the suite's JSON summary."""
    budget = report.budget
    machine = machine_info()
    lines = [f"== {report.suite}: {report.title} ==", ""]
    for table in report.tables:
        lines.extend([*table.lines(), ""])
    if report.lines:
        lines.extend([*report.lines, ""])
    if report.findings:
        lines.append("ratios (of medians; each label says which way is better):")
        width = max(len(r_text(f)) for f in report.findings)
        lines.extend(f"  {r_text(f).ljust(width)}  {f.verdict()}" for f in report.findings)
        lines.append("")
    lines.append("machine: " + ", ".join(f"{name}={value}" for name, value in machine.items()))
    lines.append("")
    lines.extend(f"[{number}] {note}" for number, note in enumerate(report.notes, start=1))
    lines.append("")
    summary = {
        "suite": report.suite,
        "ratios": {f.key: _json(f.value) for f in report.findings},
        "targets": {
            f.key: {"target": str(f.target), "met": f.met}
            for f in report.findings
            if f.target is not None
        },
        "figures": {key: _json(value) for key, value in report.figures.items()},
        "mode": budget.mode,
        "rounds": budget.rounds,
        "ops_per_round": budget.ops,
        "seconds_per_round": budget.seconds,
        **({"info": dict(report.info)} if report.info else {}),
        "machine": machine,
    }
    lines.append(json.dumps(summary, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(lines)


def combined_line(reports: Sequence[Report], mode: str) -> str:
    """One JSON line with every suite's ratios, keyed ``<suite>.<ratio>``."""
    findings = [(r.suite, f) for r in reports for f in r.findings]
    targeted = [(suite, f) for suite, f in findings if f.target is not None]
    summary = {
        "suite": "all",
        "ratios": {f"{suite}.{f.key}": _json(f.value) for suite, f in findings},
        "targets_met": [f"{suite}.{f.key}" for suite, f in targeted if f.met],
        "targets_missed": [f"{suite}.{f.key}" for suite, f in targeted if not f.met],
        "mode": mode,
        "suites": [r.suite for r in reports],
        "machine": machine_info(),
    }
    return json.dumps(summary, ensure_ascii=False, separators=(",", ":"))
