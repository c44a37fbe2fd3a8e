"""Smoke test of the benchmark suite: it runs and its JSON line parses.

Asserts nothing about speed (benchmarks/README.md): only that
``python -m benchmarks core --quick --rounds 1`` exits 0 and ends with the
machine-readable line other tools read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_core_suite_runs_and_ends_with_its_json_line() -> None:
    """The benchmark entry point keeps working; its last line is the suite's JSON summary."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "core", "--quick", "--rounds", "1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["suite"] == "core"
    assert {"verify_cold_vs_pyjwt", "verify_warm_vs_pyjwt"} <= summary["ratios"].keys()
