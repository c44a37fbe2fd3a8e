"""authgate as a plain ASGI callable, for servers other than ``authgate serve``.

``authgate serve`` builds its runtime and then runs uvicorn itself; granian
(and any ASGI server) instead imports an application object.  This one
builds the runtime from the same ``AUTHGATE_*`` settings at lifespan
start-up, exactly as :func:`authgate.server.runner.serve` does (events as
JSON lines on stdout, a fresh :class:`~authgate.server.metrics.Metrics`),
enters the FastAPI app's own lifespan, and then hands every request to it.
"""

from __future__ import annotations

import contextlib
from typing import Any

from starlette.types import Receive, Scope, Send

from authgate.bootstrap import build_runtime
from authgate.config import load_settings
from authgate.server.app import create_app
from authgate.server.metrics import Metrics
from authgate.service.events import FanoutSink, JsonLinesSink

__all__ = ["app"]


class _Authgate:
    def __init__(self) -> None:
        self._app: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self._app(scope, receive, send)
            return
        async with contextlib.AsyncExitStack() as stack:
            await receive()  # lifespan.startup
            metrics = Metrics()
            runtime = await build_runtime(
                load_settings(), events=FanoutSink([JsonLinesSink(), metrics])
            )
            stack.push_async_callback(runtime.aclose)
            app = create_app(runtime, metrics)
            await stack.enter_async_context(app.router.lifespan_context(app))
            self._app = app
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})


app = _Authgate()
