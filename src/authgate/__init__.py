"""authgate: self-hosted JWT authentication done the way the guides say."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
