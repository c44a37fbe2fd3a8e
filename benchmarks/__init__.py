"""authgate's benchmarks: ``python -m benchmarks [SUITE] [--quick]``.

The suites are listed in :mod:`benchmarks.suites`; this package itself
imports nothing, so helper processes (``benchmarks.workers``,
``benchmarks.apps``) can run in the separate ``.venv-bench`` without loading
every suite.  Benchmarks measure, they never assert a speed: see
``benchmarks/README.md``.
"""

from __future__ import annotations

__all__: list[str] = []
