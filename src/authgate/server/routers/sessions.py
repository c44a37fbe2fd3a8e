"""/auth/sessions: the user's devices, and revoking one of them."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from authgate.bootstrap import Runtime
from authgate.server.auth import RequestAuth
from authgate.server.routers.schemas import SessionOut, problem_responses
from authgate.server.transport import CookieTransport

__all__ = ["router"]

router = APIRouter(prefix="/auth/sessions", tags=["sessions"])


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


@router.get("", response_model=list[SessionOut], responses=problem_responses(401, 503))
async def list_sessions(request: Request) -> list[SessionOut]:
    runtime: Runtime = request.app.state.runtime
    auth: RequestAuth = request.app.state.auth
    claims = auth.authenticate(request).claims
    families = await runtime.sessions.list_sessions(claims.sub)
    return [
        SessionOut(
            id=f.id,
            created_at=_iso(f.created_at),
            last_used_at=_iso(f.last_used_at),
            ip=f.ip,
            user_agent=f.user_agent,
            current=f.id == claims.sid,
        )
        for f in families
    ]


@router.delete("/{session_id}", status_code=204, responses=problem_responses(401, 403, 404, 503))
async def revoke_session(request: Request, session_id: str = Path(max_length=128)) -> Response:
    """Revoke one session (and its live access tokens) of the current user."""
    runtime: Runtime = request.app.state.runtime
    auth: RequestAuth = request.app.state.auth
    cookies: CookieTransport = request.app.state.cookies
    principal = auth.authenticate(request)
    await runtime.sessions.revoke_session(principal.claims.sub, session_id, auth.client(request))
    response = Response(status_code=204)
    if principal.via == "cookie" and session_id == principal.claims.sid:
        cookies.clear(response)
    return response
