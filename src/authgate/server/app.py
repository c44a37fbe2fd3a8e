"""The FastAPI application factory.

``create_app`` takes an already built :class:`~authgate.bootstrap.Runtime`:
configuration is refused before a socket is opened, and tests can build the
runtime with their own clock and event sink.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from authgate import __version__
from authgate.bootstrap import Runtime
from authgate.core.errors import AuthgateError
from authgate.server.auth import RequestAuth
from authgate.server.clientip import ClientIpResolver
from authgate.server.fastverify import FastVerify
from authgate.server.metrics import Metrics
from authgate.server.middleware import (
    BodyLimitMiddleware,
    MetricsMiddleware,
    SecurityHeadersMiddleware,
)
from authgate.server.problems import PROBLEM_JSON, problem, problem_for
from authgate.server.routers import auth, ops, pages, sessions
from authgate.server.transport import CookieTransport

__all__ = ["create_app"]

logger = logging.getLogger("authgate.server")
_PRUNE_INTERVAL = 600.0
_RELOAD_INTERVAL = 5.0


def _validation_problem(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for it only
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem(400, "malformed_json", "request body is not valid JSON")
    fields = [
        {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "problem": e["msg"]}
        for e in errors
    ]
    return problem(
        422, "validation_error", "request body does not match the schema", extra={"errors": fields}
    )


def _http_problem(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for it only
    if exc.status_code == 400:  # FastAPI's "error parsing the body" (e.g. not UTF-8)
        return problem(400, "malformed_json", "request body is not valid JSON")
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return problem(exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {}))


def _domain_problem(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, AuthgateError)  # noqa: S101 - registered for it only
    return problem_for(exc)


def _unexpected(_: Request, exc: Exception) -> Response:
    logger.error("unhandled error: %s", type(exc).__name__)
    return problem(500, "internal", "internal error")


def _problem_openapi(app: FastAPI) -> dict[str, Any]:
    """Every non-2xx response documented as problem+json, as it is served."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = FastAPI.openapi(app)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                if not status.startswith("2") and "content" in response:
                    content = response["content"]
                    body = content.get(PROBLEM_JSON) or content.get("application/json") or {}
                    ref = body.get("schema") or {"$ref": "#/components/schemas/Problem"}
                    if status == "422":
                        ref = {"$ref": "#/components/schemas/Problem"}
                    response["content"] = {PROBLEM_JSON: {"schema": ref}}
    app.openapi_schema = schema
    return schema


async def _housekeeping(runtime: Runtime) -> None:
    """Reload revocations made elsewhere and prune expired ones.

    With Redis, revocations arrive by pub/sub within milliseconds; without
    it, one made by another process on the same database (``authgate users
    disable``) reaches this instance within ``_RELOAD_INTERVAL`` seconds.
    """
    elapsed = 0.0
    while True:
        await asyncio.sleep(_RELOAD_INTERVAL)
        elapsed += _RELOAD_INTERVAL
        with contextlib.suppress(AuthgateError):
            if runtime.sync is None:
                await runtime.revoker.load()
            if elapsed >= _PRUNE_INTERVAL:
                elapsed = 0.0
                await runtime.revoker.prune()


def create_app(runtime: Runtime, metrics: Metrics | None = None) -> FastAPI:
    settings = runtime.settings
    metrics = metrics or Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_housekeeping(runtime))
        try:
            yield
        finally:
            task.cancel()

    app = FastAPI(
        title="authgate",
        version=__version__,
        summary="JWT authentication: cookies + CSRF for browsers, Bearer for the rest.",
        docs_url="/docs" if settings.dev else None,
        redoc_url=None,
        lifespan=lifespan,
    )
    cookies = CookieTransport(
        secure=settings.effective_cookie_secure,
        domain=settings.cookie_domain,
        refresh_samesite=settings.refresh_cookie_samesite,
        access_max_age=runtime.policy.access_ttl,
        refresh_max_age=runtime.policy.refresh_ttl,
    )
    app.state.runtime = runtime
    app.state.metrics = metrics
    app.state.cookies = cookies
    app.state.auth = RequestAuth(runtime, cookies, ClientIpResolver(settings.trusted_proxies))

    app.add_exception_handler(RequestValidationError, _validation_problem)
    app.add_exception_handler(StarletteHTTPException, _http_problem)
    app.add_exception_handler(AuthgateError, _domain_problem)
    app.add_exception_handler(Exception, _unexpected)
    app.include_router(ops.router)
    app.include_router(auth.router)
    app.include_router(sessions.router)
    app.include_router(pages.router)
    app.openapi = lambda: _problem_openapi(app)  # type: ignore[method-assign]

    # Added innermost first: the verify fast lane ends up outermost, then
    # security headers.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=[o.rstrip("/") for o in settings.cors_origins],
            allow_credentials=True,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-CSRF-Token", "X-Auth-Transport"],
            expose_headers=["Retry-After"],
            max_age=600,
        )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(FastVerify, verifier=runtime.verifier, metrics=metrics)
    return app
