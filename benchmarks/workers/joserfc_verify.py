"""joserfc against PyJWT, cold HS256 verification, in ``.venv-bench``.

Run by the ``core`` suite as
``.venv-bench/bin/python -m benchmarks.workers.joserfc_verify OPS ROUNDS``;
prints one JSON line ``{"samples": {"joserfc": [...], "pyjwt": [...]}, ...}``
(µs/op per round).  Both sides run in this one process, interleaved by
:func:`benchmarks.harness.measure`, over the same ``OPS`` distinct tokens
(issued here with PyJWT: same claims, header and key size as authgate's),
so only the ratio between them is carried over to the ``core`` table.
"""

# joserfc is installed in .venv-bench only, not in the project's .venv where mypy runs.
# mypy: disable-error-code="import-not-found, unused-ignore"

from __future__ import annotations

import json
import secrets
import sys
import time
from collections.abc import Callable
from importlib import metadata
from typing import Final

import jwt
from joserfc import jwt as jose_jwt
from joserfc.jwk import OctKey

from benchmarks.harness import Budget, Case, measure

__all__ = ["main"]

ISSUER: Final = "https://auth.bench.example"
AUDIENCE: Final = "bench-api"
LEEWAY: Final = 30
TTL: Final = 3600


def _tokens(secret: bytes, ops: int) -> list[str]:
    now = int(time.time())
    headers = {"kid": "bench-hs256", "typ": "at+jwt"}
    return [
        jwt.encode(
            {
                "iss": ISSUER,
                "aud": AUDIENCE,
                "sub": f"u_{n:08x}",
                "iat": now,
                "nbf": now,
                "exp": now + TTL,
                "jti": secrets.token_urlsafe(16),
                "role": "user",
                "sid": f"s_{n:08x}",
            },
            secret,
            algorithm="HS256",
            headers=headers,
        )
        for n in range(ops)
    ]


def _joserfc(secret: bytes, tokens: list[str]) -> Callable[[], None]:
    key = OctKey.import_key(secret)
    decode = jose_jwt.decode
    registry = jose_jwt.JWTClaimsRegistry(
        leeway=LEEWAY,
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": AUDIENCE},
        sub={"essential": True},
        exp={"essential": True},
        nbf={"essential": True},
        iat={"essential": True},
        jti={"essential": True},
    )
    validate = registry.validate
    algorithms = ["HS256"]

    def body() -> None:
        for token in tokens:
            validate(decode(token, key, algorithms=algorithms).claims)

    return body


def _pyjwt(secret: bytes, tokens: list[str]) -> Callable[[], None]:
    decode = jwt.decode
    algorithms = ["HS256"]
    options: jwt.types.Options = {"require": ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]}

    def body() -> None:
        for token in tokens:
            decode(
                token,
                secret,
                algorithms=algorithms,
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=LEEWAY,
                options=options,
            )

    return body


def main(argv: list[str]) -> int:
    ops, rounds = int(argv[0]), int(argv[1])
    secret = secrets.token_bytes(32)
    tokens = _tokens(secret, ops)
    cases = (
        Case("joserfc", "joserfc", _joserfc(secret, tokens)),
        Case("pyjwt", "pyjwt", _pyjwt(secret, tokens)),
    )
    for case in cases:  # both accept every token: no side times an error path
        case.body()
    samples = measure(cases, Budget("worker", rounds=rounds, ops=ops))
    versions = {name: metadata.version(name) for name in ("joserfc", "pyjwt")}
    print(json.dumps({"samples": samples, "versions": versions}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
