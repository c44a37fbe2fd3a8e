"""Flask + flask-jwt-extended, served by gunicorn (one sync worker) in ``.venv-bench``.

``GET /verify`` is ``@jwt_required()`` and answers ``{"sub": ...}``.  It
verifies the very token authgate issued: flask-jwt-extended calls
``jwt.decode`` with the same key, ``HS256``, audience, issuer and 30 s
leeway (it requires ``sub``; it does not require ``iat``/``nbf``/``jti`` to be
present), then loads nothing: no user lookup.
"""

# Flask and flask-jwt-extended are not installed in the project's .venv,
# where mypy runs; there they are untyped (Any), in .venv-bench they are typed.
# mypy: disable-error-code="import-not-found, misc, no-any-return, untyped-decorator, unused-ignore"

from __future__ import annotations

import os

from flask import Flask
from flask_jwt_extended import JWTManager, get_jwt_identity, jwt_required

__all__ = ["app"]

app = Flask(__name__)
app.config.update(
    JWT_SECRET_KEY=os.environ.get("BENCH_SECRET", ""),
    JWT_ALGORITHM="HS256",
    JWT_DECODE_ALGORITHMS=["HS256"],
    JWT_DECODE_AUDIENCE=os.environ.get("BENCH_AUDIENCE", ""),
    JWT_DECODE_ISSUER=os.environ.get("BENCH_ISSUER", ""),
    JWT_DECODE_LEEWAY=30,
    JWT_TOKEN_LOCATION=["headers"],
)
JWTManager(app)


@app.get("/verify")
@jwt_required()
def verify() -> dict[str, str]:
    return {"sub": get_jwt_identity()}
