"""``authgate serve``: build the runtime, refuse bad settings, run uvicorn.

uvicorn's own proxy-header handling is switched off: authgate resolves the
client address itself, believing X-Forwarded-For only from the configured
trusted proxies (``server/clientip.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import uvicorn

from authgate.bootstrap import build_runtime
from authgate.config import Settings
from authgate.core.errors import ConfigurationError
from authgate.server.app import create_app
from authgate.server.metrics import Metrics
from authgate.service.events import FanoutSink, JsonLinesSink, SecurityEvent

__all__ = ["DEV_BANNER", "serve"]

DEV_BANNER = (
    "!!! authgate is running in DEVELOPMENT mode: {details}. Never use --dev in production. !!!"
)


async def serve(settings: Settings, *, warn: Callable[[str], Any]) -> None:
    """Run until interrupted.

    Raises:
        ConfigurationError: every refused setting (also logged as one
            ``config.refused`` event per problem).
    """
    metrics = Metrics()
    log = JsonLinesSink()
    try:
        runtime = await build_runtime(settings, events=FanoutSink([log, metrics]))
    except ConfigurationError as err:
        for problem in err.problems:
            log.emit(SecurityEvent.of("config.refused", "configuration", timestamp=0.0))
            warn(f"refused: {problem}")
        raise ConfigurationError("authgate did not start; fix the settings above") from None
    if settings.dev:
        details = []
        if runtime.dev_key_created:
            details.append(f"generated a new signing key in {settings.dev_key_file}")
        elif settings.jwt_secret is None and settings.jwt_keys is None:
            details.append(f"signing with the dev key in {settings.dev_key_file}")
        if not runtime.settings.effective_cookie_secure:
            details.append("cookies are sent without Secure over http://localhost")
        warn(DEV_BANNER.format(details="; ".join(details) or "relaxed checks"))
    app = create_app(runtime, metrics)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        proxy_headers=False,
        server_header=False,
        log_level="info",
        access_log=False,
    )
    try:
        await uvicorn.Server(config).serve()
    finally:
        await runtime.aclose()
