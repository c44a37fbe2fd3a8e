"""authgate's benchmarks: ``python -m benchmarks [SUITE] [--quick]``.

A suite is a module that exposes a :class:`~benchmarks.harness.Suite`; adding
one to :data:`SUITES` makes it a subcommand and part of the no-argument run.
Benchmarks measure, they never assert a speed: see ``benchmarks/README.md``.
"""

from __future__ import annotations

from typing import Final

from benchmarks import core_tokens
from benchmarks.harness import Suite

__all__ = ["SUITES"]

#: Every suite, in the order ``python -m benchmarks`` runs them.
SUITES: Final[tuple[Suite, ...]] = (core_tokens.SUITE,)
