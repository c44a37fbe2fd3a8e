"""Command line: parse, run the chosen suites, print their reports.

``python -m benchmarks`` runs every suite; ``python -m benchmarks core`` runs
one.  ``--quick`` (before or after the suite name) trades precision for time;
``--rounds N`` overrides the number of timed rounds.  Each suite's section
ends with exactly one line of JSON starting with ``{"suite":``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from typing import Final

from benchmarks import SUITES
from benchmarks.harness import render

__all__ = ["main"]

MIN_ROUNDS: Final = 3  # a median of fewer rounds is just a sample
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
    for number, suite in enumerate(chosen):
        budget = suite.quick if quick else suite.full
        if rounds is not None:
            budget = dataclasses.replace(budget, rounds=rounds)
        if number:
            print()
        print(render(suite.run(budget)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
