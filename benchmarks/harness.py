"""The measuring and reporting every suite shares.

A suite hands over :class:`Case`\\ s (one timed loop each) and the
:class:`Ratio`\\ s it wants; :func:`measure` runs all cases in one process,
interleaved round by round, and :func:`render` prints the table, the machine,
the suite's footnotes and, last, one line of JSON.

Noise control, in order of effect: rounds are interleaved (a burst of machine
noise hits every side in that round, not just one); each round starts at the
next case (A,B,C / B,C,A / C,A,B ...) so no case always runs right after the
same neighbour; a discarded warm-up round comes first; the garbage collector
is run before and disabled during each timed loop; every figure is a median
over rounds.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Final

__all__ = ["Budget", "Case", "Ratio", "Report", "Suite", "machine_info", "measure", "render"]

_ROUND_DIGITS: Final = 3


@dataclass(frozen=True, slots=True)
class Budget:
    """How long a suite runs: ``rounds`` timed rounds of ``ops`` operations per case."""

    mode: str
    rounds: int
    ops: int


@dataclass(frozen=True, slots=True)
class Case:
    """One side of a comparison.

    ``body`` performs exactly the budget's ``ops`` operations per call; the
    loop lives inside it so the harness adds no per-operation overhead.
    """

    key: str  # JSON key, e.g. "verify_authgate"
    label: str
    body: Callable[[], object]


@dataclass(frozen=True, slots=True)
class Ratio:
    """``numerator`` median / ``denominator`` median; below 1 means the numerator is faster."""

    key: str
    numerator: str
    denominator: str
    label: str


@dataclass(frozen=True, slots=True)
class Report:
    """What a suite measured, ready for :func:`render`."""

    suite: str
    budget: Budget
    cases: Sequence[Case]
    ratios: Sequence[Ratio]
    samples: Mapping[str, Sequence[float]]  # µs/op per timed round, by case key
    notes: Sequence[str]

    def median(self, key: str) -> float:
        return statistics.median(self.samples[key])

    def ratio(self, ratio: Ratio) -> float:
        return self.median(ratio.numerator) / self.median(ratio.denominator)


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


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict[str, str | int | None]:
    """Where the numbers come from; printed and put in the JSON line."""
    affinity = getattr(os, "sched_getaffinity", None)
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(affinity(0)) if affinity is not None else None,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "pyjwt": metadata.version("pyjwt"),
        "authgate": metadata.version("authgate"),
    }


def _table(report: Report) -> list[str]:
    by_numerator: dict[str, list[str]] = {}
    baselines = {ratio.denominator for ratio in report.ratios}
    for ratio in report.ratios:
        text = f"{ratio.label} = {report.ratio(ratio):.2f}"
        by_numerator.setdefault(ratio.numerator, []).append(text)
    rows = [("suite", "case", "median µs/op", "min-max µs/op", "ratio")]
    for case in report.cases:
        values = report.samples[case.key]
        ratios = by_numerator.get(case.key) or ["(baseline)" if case.key in baselines else ""]
        spread = f"{min(values):.2f}-{max(values):.2f}"
        rows.append((report.suite, case.label, f"{report.median(case.key):.2f}", spread, ratios[0]))
        rows.extend(("", "", "", "", more) for more in ratios[1:])
    widths = [max(len(row[col]) for row in rows) for col in range(4)]
    lines = []
    for index, row in enumerate(rows):
        cells = [
            row[0].ljust(widths[0]),
            row[1].ljust(widths[1]),
            row[2].rjust(widths[2]),
            row[3].rjust(widths[3]),
            row[4],
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("-" * len(lines[0]))
    return lines


def render(report: Report) -> str:
    """Table, machine, footnotes; the last line is the suite's JSON summary."""
    budget = report.budget
    machine = machine_info()
    lines = [
        f"== {report.suite}: {budget.mode} mode, {budget.rounds} interleaved rounds "
        f"x {budget.ops:,} ops per case (after 1 warm-up round); medians over rounds ==",
        "",
        *_table(report),
        "",
        "machine: " + ", ".join(f"{name}={value}" for name, value in machine.items()),
        "",
        *(f"[{number}] {note}" for number, note in enumerate(report.notes, start=1)),
        "",
    ]
    summary = {
        "suite": report.suite,
        "ratios": {r.key: round(report.ratio(r), _ROUND_DIGITS) for r in report.ratios},
        "medians_us": {c.key: round(report.median(c.key), _ROUND_DIGITS) for c in report.cases},
        "mode": budget.mode,
        "rounds": budget.rounds,
        "ops_per_round": budget.ops,
        "machine": machine,
    }
    lines.append(json.dumps(summary, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(lines)
