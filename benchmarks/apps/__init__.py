"""Small ASGI/WSGI applications the ``http`` suite serves next to authgate.

Each reads its settings from ``BENCH_*`` environment variables set by
:mod:`benchmarks.http_verify`.  ``hello`` and ``pyjwt_dep`` run in the
project's ``.venv``; ``fastapi_users_app``, ``flask_jwt`` and
``authgate_asgi`` (authgate under granian) in ``.venv-bench``.
"""

from __future__ import annotations

__all__: list[str] = []
