"""FastAPI + PyJWT: the resource-server check people write by hand.

``GET /verify`` runs an ``async`` dependency that reads ``Authorization``,
requires the Bearer scheme and calls ``jwt.decode`` with the same key,
algorithm, audience, issuer, leeway and required claims as the ``core``
suite's PyJWT side, then answers ``{"sub": ...}``; 401 otherwise.  The key
and claims come from ``BENCH_SECRET``, ``BENCH_ISSUER``, ``BENCH_AUDIENCE``.
"""

from __future__ import annotations

import os
from typing import Annotated, Any, Final

import jwt
from fastapi import Depends, FastAPI, Header, HTTPException

__all__ = ["app"]

SECRET: Final = os.environ.get("BENCH_SECRET", "").encode()
ISSUER: Final = os.environ.get("BENCH_ISSUER", "")
AUDIENCE: Final = os.environ.get("BENCH_AUDIENCE", "")
OPTIONS: Final[jwt.types.Options] = {"require": ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]}

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


async def bearer_claims(
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, headers={"WWW-Authenticate": "Bearer"})
    try:
        return jwt.decode(
            token,
            SECRET,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=30,
            options=OPTIONS,
        )
    except jwt.InvalidTokenError:
        raise HTTPException(401, headers={"WWW-Authenticate": "Bearer"}) from None


@app.get("/verify")
async def verify(claims: Annotated[dict[str, Any], Depends(bearer_claims)]) -> dict[str, str]:
    return {"sub": claims["sub"]}
