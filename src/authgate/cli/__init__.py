"""The ``authgate`` command line."""

from __future__ import annotations

from authgate.cli.main import app

__all__ = ["app"]
