"""Every suite, in the order ``python -m benchmarks`` runs them.

Adding a suite here makes it a subcommand and part of the no-argument run.
"""

from __future__ import annotations

from typing import Final

from benchmarks import core_tokens, http_verify, login_flood, refresh_rotation, revocation_scale
from benchmarks.harness import Suite

__all__ = ["SUITES"]

SUITES: Final[tuple[Suite, ...]] = (
    core_tokens.SUITE,
    http_verify.SUITE,
    login_flood.SUITE,
    refresh_rotation.SUITE,
    revocation_scale.SUITE,
)
