"""The only place that turns authgate errors into HTTP.

Errors become RFC 9457 problem details (``application/problem+json``) with a
stable ``code``; every 401 carries an RFC 6750 ``WWW-Authenticate`` header.
Details never echo input: no token, password or unverified claim.
"""

from __future__ import annotations

import json
from typing import Any, Final

from starlette.responses import Response

from authgate.core.errors import (
    AccountError,
    AuthgateError,
    CsrfError,
    EmailTakenError,
    InvalidCredentialsError,
    InvalidEmailError,
    NotFoundError,
    PasswordError,
    SessionError,
    StoreError,
    ThrottledError,
    TokenError,
)

__all__ = ["PROBLEM_JSON", "MissingCredentialsError", "problem", "problem_for"]

PROBLEM_JSON: Final = "application/problem+json"
_REALM: Final = 'Bearer realm="authgate"'

_TITLES: Final = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class MissingCredentialsError(AuthgateError):
    """No access token in the Authorization header or the access cookie."""

    code = "missing_token"


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": f"urn:authgate:problem:{code}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        **(extra or {}),
    }
    all_headers = {"Cache-Control": "no-store", **(headers or {})}
    if status == 401 and "WWW-Authenticate" not in all_headers:
        all_headers["WWW-Authenticate"] = _REALM
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=all_headers,
    )


def _bearer_error(code: str, description: str) -> dict[str, str]:
    # RFC 6750 §3: error codes are a fixed vocabulary; our code goes in the
    # description, which contains no user input.
    return {"WWW-Authenticate": f'{_REALM}, error="{code}", error_description="{description}"'}


_STATUS: Final[tuple[tuple[type[AuthgateError], int], ...]] = (
    (TokenError, 401),
    (SessionError, 401),
    (MissingCredentialsError, 401),
    (InvalidCredentialsError, 401),
    (ThrottledError, 429),
    (EmailTakenError, 409),
    (InvalidEmailError, 422),
    (PasswordError, 422),
    (NotFoundError, 404),
    (CsrfError, 403),
    (StoreError, 503),
    (AccountError, 400),
)
# Fixed wording where the exception's own message could say too much.
_DETAILS: Final[dict[type[AuthgateError], str]] = {
    InvalidCredentialsError: "email or password is incorrect",
    EmailTakenError: "an account with this email already exists",
    StoreError: "a required store is unavailable; retry shortly",
    MissingCredentialsError: "authentication required",
}


def problem_for(err: AuthgateError) -> Response:
    """Status, headers and body for a domain error."""
    status = next((s for cls, s in _STATUS if isinstance(err, cls)), 500)
    if status == 500:
        return problem(500, "internal", "internal error")
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(err, TokenError | SessionError):
        headers = _bearer_error("invalid_token", err.code)
    elif isinstance(err, ThrottledError):
        headers = {"Retry-After": str(err.retry_after)}
        extra = {"retry_after": err.retry_after}
    elif isinstance(err, StoreError):
        headers = {"Retry-After": "1"}
    elif isinstance(err, PasswordError):
        extra = {"reasons": list(getattr(err, "reasons", ()))}
    detail = next((d for cls, d in _DETAILS.items() if isinstance(err, cls)), str(err))
    return problem(status, err.code, detail, headers=headers, extra=extra)
