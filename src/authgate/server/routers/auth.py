"""/auth endpoints: register, login, refresh, logout, me, password, csrf."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from authgate.bootstrap import Runtime
from authgate.core.errors import SessionError, TokenError
from authgate.server.auth import RequestAuth
from authgate.server.problems import MissingCredentialsError, problem_for
from authgate.server.routers.schemas import (
    CsrfOut,
    LoginIn,
    MeOut,
    PasswordIn,
    RefreshIn,
    RegisterIn,
    SessionStartedOut,
    problem_responses,
)
from authgate.server.transport import CookieTransport, token_body, wants_bearer
from authgate.server.transport.bearer import TRANSPORT_HEADER
from authgate.service.events import SecurityEvent
from authgate.service.sessions import TokenPair

__all__ = ["router"]

router = APIRouter(prefix="/auth", tags=["auth"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _parts(request: Request) -> tuple[Runtime, RequestAuth, CookieTransport]:
    state = request.app.state
    return state.runtime, state.auth, state.cookies


def _session_response(
    request: Request, pair: TokenPair, *, status: int, extra: dict[str, Any] | None = None
) -> Response:
    runtime, _, cookies = _parts(request)
    policy = runtime.policy
    if wants_bearer(request.headers.get(TRANSPORT_HEADER)):
        body = {
            **(extra or {}),
            **token_body(pair, access_ttl=policy.access_ttl, refresh_ttl=policy.refresh_ttl),
        }
        return JSONResponse(body, status_code=status, headers=NO_STORE)
    csrf_token = runtime.csrf.issue(pair.session_id)
    body = {
        **(extra or {}),
        "csrf_token": csrf_token,
        "expires_in": policy.access_ttl,
        "refresh_expires_in": policy.refresh_ttl,
    }
    response = JSONResponse(body, status_code=status, headers=NO_STORE)
    cookies.set_session(response, pair, csrf_token)
    return response


@router.post(
    "/register",
    status_code=201,
    response_model=SessionStartedOut,
    response_model_exclude_none=True,
    responses=problem_responses(400, 403, 409, 413, 422),
)
async def register(body: RegisterIn, request: Request) -> Response:
    """Create an account; with ``login: true`` also start a session."""
    runtime, auth, _ = _parts(request)
    bearer = wants_bearer(request.headers.get(TRANSPORT_HEADER))
    if not bearer:
        auth.check_origin(request)
    client = auth.client(request)
    user = await runtime.accounts.create(body.email, body.password, client=client)
    out = {"id": user.id, "email": user.email}
    if not body.login:
        return JSONResponse(out, status_code=201)
    pair = await runtime.sessions.start(user, client)
    return _session_response(request, pair, status=201, extra=out)


@router.post(
    "/login",
    response_model=SessionStartedOut,
    response_model_exclude_none=True,
    responses=problem_responses(400, 401, 403, 413, 422, 429, 503),
)
async def login(body: LoginIn, request: Request) -> Response:
    runtime, auth, _ = _parts(request)
    if not wants_bearer(request.headers.get(TRANSPORT_HEADER)):
        auth.check_origin(request)  # login CSRF: no session yet, so no token
    client = auth.client(request)
    user = await runtime.accounts.authenticate(body.email, body.password, client)
    pair = await runtime.sessions.start(user, client)
    return _session_response(request, pair, status=200)


@router.post(
    "/refresh",
    response_model=SessionStartedOut,
    response_model_exclude_none=True,
    responses=problem_responses(400, 401, 403, 413, 422, 503),
)
async def refresh(request: Request, body: RefreshIn | None = None) -> Response:
    """Rotate the refresh token: the presented one is spent."""
    runtime, auth, cookies = _parts(request)
    client = auth.client(request)
    bearer = wants_bearer(request.headers.get(TRANSPORT_HEADER))
    token = body.refresh_token if bearer and body else cookies.refresh_token(request)
    if token is None:
        raise MissingCredentialsError("refresh token required")
    try:
        claims = runtime.sessions.check_refresh_token(token, client)
        if not bearer:
            auth.check_csrf(request, claims.sid, claims.sub)
        pair = await runtime.sessions.refresh(
            token, runtime.accounts.role_of, client, claims=claims
        )
    except (TokenError, SessionError) as err:
        response = problem_for(err)
        if not bearer:
            cookies.clear(response)  # the browser's session is over: say so
        return response
    return _session_response(request, pair, status=200)


@router.post("/logout", status_code=204, responses=problem_responses(401, 403, 503))
async def logout(request: Request) -> Response:
    """Revoke this session's family and the presented access token."""
    runtime, auth, cookies = _parts(request)
    principal = auth.authenticate(request)
    claims = principal.claims
    await runtime.sessions.logout(
        claims.sub, claims.sid, (claims.jti, claims.exp), auth.client(request)
    )
    response = Response(status_code=204)
    cookies.clear(response)
    return response


@router.post("/logout-all", status_code=204, responses=problem_responses(401, 403, 503))
async def logout_all(request: Request) -> Response:
    """Revoke every session of the user, on every device."""
    runtime, auth, cookies = _parts(request)
    principal = auth.authenticate(request)
    claims, client = principal.claims, auth.client(request)
    await runtime.sessions.revoke_user_sessions(claims.sub, reason="logout_all", client=client)
    await runtime.revoker.revoke([(claims.jti, claims.exp)])
    runtime.events.emit(
        SecurityEvent.of(
            "logout.all", "logout_all", client, timestamp=runtime.clock.now(), user_id=claims.sub
        )
    )
    response = Response(status_code=204)
    cookies.clear(response)
    return response


@router.get("/me", response_model=MeOut, responses=problem_responses(401, 503))
async def me(request: Request) -> MeOut:
    runtime, auth, _ = _parts(request)
    principal = auth.authenticate(request)
    user = await runtime.accounts.get(principal.claims.sub)
    return MeOut(id=user.id, email=user.email, role=user.role)


@router.post(
    "/password", status_code=204, responses=problem_responses(400, 401, 403, 413, 422, 503)
)
async def change_password(body: PasswordIn, request: Request) -> Response:
    """Change the password; every other session of the user is revoked."""
    runtime, auth, _ = _parts(request)
    principal = auth.authenticate(request)
    await runtime.accounts.change_password(
        principal.claims.sub,
        body.current_password,
        body.new_password,
        session_id=principal.claims.sid,
        client=auth.client(request),
    )
    return Response(status_code=204)


@router.get("/csrf", response_model=CsrfOut, responses=problem_responses(401, 503))
async def csrf(request: Request) -> Response:
    """A fresh CSRF token for the current session (for a page that lost it)."""
    runtime, auth, cookies = _parts(request)
    principal = auth.authenticate(request)
    if principal.claims.sid is None:
        raise MissingCredentialsError("token is not bound to a session")
    token = runtime.csrf.issue(principal.claims.sid)
    response = JSONResponse({"csrf_token": token}, headers=NO_STORE)
    cookies.set_csrf(response, token)
    return response


@router.get("/refresh/csrf", response_model=CsrfOut, responses=problem_responses(401, 503))
async def csrf_from_refresh(request: Request) -> Response:
    """Like /auth/csrf, authenticated by the refresh cookie (whose Path covers
    this URL), for a page whose access token has already expired."""
    runtime, auth, cookies = _parts(request)
    token = cookies.refresh_token(request)
    if token is None:
        raise MissingCredentialsError("refresh cookie required")
    claims = runtime.sessions.check_refresh_token(token, auth.client(request))
    csrf_token = runtime.csrf.issue(claims.sid)
    response = JSONResponse({"csrf_token": csrf_token}, headers=NO_STORE)
    cookies.set_csrf(response, csrf_token)
    return response
