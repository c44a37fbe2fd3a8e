"""Command line: parse, run the chosen suites, print their reports.

``python -m benchmarks`` runs every suite; ``python -m benchmarks core`` runs
one.  ``--quick`` (before or after the suite name) trades precision for time;
``--rounds N`` overrides the number of timed rounds.  Each suite's section
ends with exactly one line of JSON starting with ``{"suite":``; a run of more
than one suite ends with one more, ``{"suite":"all",...}``, holding every
suite's ratios.  A suite that cannot run (a service down, ``.venv-bench``
missing a package it needs) is reported and the others still run; the exit
status is then 1.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import traceback
from collections.abc import Sequence
from typing import Final

from benchmarks.harness import Report, combined_line, render
from benchmarks.suites import SUITES

__all__ = ["main"]

MIN_ROUNDS: Final = 1  # below 3 a "median" is just a sample: for smoke runs only
MAX_ROUNDS: Final = 99  # keeps a run well inside the lifetime of the pre-issued tokens


def _rounds(text: str) -> int:
    try:
        rounds = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not MIN_ROUNDS <= rounds <= MAX_ROUNDS:
        raise argparse.ArgumentTypeError(f"rounds must be between {MIN_ROUNDS} and {MAX_ROUNDS}")
    return rounds


def _parser() -> argparse.ArgumentParser:
    # SUPPRESS defaults let the options sit before or after the suite name
    # without the subcommand's defaults overwriting the top-level values.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--quick",
        action="store_true",
        default=argparse.SUPPRESS,
        help="fewer rounds and operations: a smoke run, not a measurement",
    )
    common.add_argument(
        "--rounds",
        type=_rounds,
        default=argparse.SUPPRESS,
        metavar="N",
        help=f"timed rounds per case ({MIN_ROUNDS}-{MAX_ROUNDS}); overrides the mode's default",
    )
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run authgate's benchmarks; without SUITE, run all of them.",
        parents=[common],
    )
    subcommands = parser.add_subparsers(dest="suite", metavar="SUITE", title="suites")
    for suite in SUITES:
        subcommands.add_parser(suite.name, parents=[common], help=suite.help)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    quick: bool = getattr(args, "quick", False)
    rounds: int | None = getattr(args, "rounds", None)
    chosen = [suite for suite in SUITES if args.suite in (None, suite.name)]
    reports: list[Report] = []
    failed = False
    for number, suite in enumerate(chosen):
        budget = suite.quick if quick else suite.full
        if rounds is not None:
            budget = dataclasses.replace(budget, rounds=rounds)
        if number:
            print()
        try:
            report = suite.run(budget)
        except Exception:  # noqa: BLE001 - one broken suite must not hide the others
            failed = True
            print(f"== {suite.name}: FAILED, no figures ==", flush=True)
            traceback.print_exc()
            continue
        reports.append(report)
        print(render(report), flush=True)
    if len(chosen) > 1:
        print()
        print(combined_line(reports, "quick" if quick else "full"), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
