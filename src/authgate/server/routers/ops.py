"""Gateway and operations endpoints: verify, JWKS, health, readiness, metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from authgate.bootstrap import Runtime
from authgate.server.auth import STATE_CHANGING, RequestAuth
from authgate.server.metrics import Metrics
from authgate.server.problems import problem
from authgate.server.routers.schemas import problem_responses

__all__ = ["router"]

router = APIRouter(tags=["operations"])


@router.get(
    "/auth/verify",
    response_class=Response,
    responses={
        200: {
            "description": "valid: identity in X-Auth-Subject, X-Auth-Role, X-Auth-Token-Id",
            "content": {},
        },
        **problem_responses(401, 403, 503),
    },
)
@router.head("/auth/verify", response_class=Response, include_in_schema=False)
async def verify(request: Request) -> Response:
    """For nginx ``auth_request`` and Traefik ForwardAuth; no database access.

    When the gateway forwards the original method (``X-Forwarded-Method`` or
    ``X-Original-Method``) and it changes state, a cookie-authenticated
    request must also pass the CSRF checks, as it would here.
    """
    auth: RequestAuth = request.app.state.auth
    method = request.headers.get("x-forwarded-method") or request.headers.get("x-original-method")
    principal = auth.authenticate(
        request, state_changing=(method or "GET").upper() in STATE_CHANGING
    )
    claims = principal.claims
    return Response(
        status_code=200,
        headers={
            "X-Auth-Subject": claims.sub,
            "X-Auth-Role": claims.role,
            "X-Auth-Token-Id": claims.jti,
            "Cache-Control": "no-store",
        },
    )


@router.get("/.well-known/jwks.json")
async def jwks(request: Request) -> JSONResponse:
    """Public verification keys (empty while only HMAC keys exist)."""
    runtime: Runtime = request.app.state.runtime
    return JSONResponse(
        runtime.keyring.public_jwks(), headers={"Cache-Control": "public, max-age=300"}
    )


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses=problem_responses(503))
async def readyz(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    checks = await runtime.check_ready()
    if not all(checks.values()):
        down = ", ".join(name for name, ok in checks.items() if not ok)
        return problem(503, "not_ready", f"not answering: {down}", extra={"checks": checks})
    return JSONResponse({"status": "ready", "checks": checks})


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    registry: Metrics = request.app.state.metrics
    return Response(registry.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
