"""Helper processes the suites start: each prints one JSON line (or a stream of them)."""

from __future__ import annotations

__all__: list[str] = []
