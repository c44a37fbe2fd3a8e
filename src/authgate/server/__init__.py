"""HTTP: the FastAPI app, cookie/CSRF and bearer transports, problem details."""

from __future__ import annotations

from authgate.server.app import create_app
from authgate.server.metrics import Metrics

__all__ = ["Metrics", "create_app"]
