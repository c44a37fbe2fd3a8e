"""The servers the ``http`` suite compares, how each is started and fed a token."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from benchmarks.procs import SETUP_HINT, Server, bench_python, free_port, http_call

__all__ = [
    "NOTES",
    "READY_PATH",
    "SKIPPED",
    "authgate_env",
    "authgate_token",
    "check_ok",
    "fastapi_users_token",
    "start_servers",
    "versions",
]

SERVER_CPUS: Final = "1"
PASSWORD: Final = "bench-Passw0rd-4-authgate"  # noqa: S105 - a throwaway benchmark account
UVICORN_FLAGS: Final = (
    "--host",
    "127.0.0.1",
    "--no-access-log",
    "--no-server-header",
    "--no-proxy-headers",
    "--log-level",
    "info",
)
READY_PATH: Final = {
    "authgate": "/healthz",
    "granian": "/healthz",
    "hello": "/hello",
    "pyjwt": "/verify",
    "fastapi_users": "/users/me",
    "flask": "/verify",
}
SKIPPED: Final = (
    "skipped: authgate under granian, fastapi-users and flask-jwt-extended need "
    f".venv-bench ({SETUP_HINT})"
)

NOTES: Final = (
    "Every server: one process (one worker), started with `taskset -c 1`, logging to a "
    "file in a temp dir; wrk -t1 -c32 --latency on core 0 with keep-alive. 'CPU µs/req' = "
    "(utime+stime of the server's process tree after - before the wrk run) / requests wrk "
    "completed; 'CPU/req vs hello' = median of that / hello's median. 'errors' = non-2xx "
    "responses + socket errors over all timed runs (each side is checked to answer 200 "
    "before timing). uvicorn sides use uvloop + httptools (uvicorn's defaults when "
    "installed), no access log, no server header, no proxy headers - what `authgate serve` "
    "configures.",
    "hello (baseline): FastAPI app with one route, `@app.get('/hello') async def` returning "
    '{"hello": "world"} (JSON-serialised by FastAPI), run by `python -m uvicorn` in the '
    "project .venv. async def is the cheaper of the two forms (def would add a threadpool "
    "hop), so it is the stricter baseline.",
    "authgate: `authgate serve` (the console script, uvicorn, production settings: "
    "AUTHGATE_PUBLIC_URL=https://bench.test, a 64-char AUTHGATE_JWT_SECRET, SQLite in the "
    "temp dir, security events as JSON lines to the log file). The token is the access "
    "token from POST /auth/register with login=true and X-Auth-Transport: bearer; wrk "
    "sends that one token on every request, so after the first request the verifier "
    "answers from its cache (a hit still checks exp/nbf/revocation). The answer is 200 "
    "with empty body and X-Auth-Subject/Role/Token-Id plus security headers, from the "
    "raw-ASGI fast lane (server/fastverify.py) before routing and middleware.",
    "authgate, cold tokens: the same server, but a wrk Lua script cycles through 5,000 "
    "distinct valid tokens (issued with the server's key and policy) - more than the "
    "verifier's 4,096-entry FIFO cache, so every request misses it and runs the full "
    "verification. Lua adds client cost only (wrk is on the other core).",
    "FastAPI + PyJWT: `GET /verify` with an async Depends that reads the Authorization "
    "header, requires Bearer and calls jwt.decode with the same key, HS256, audience, "
    "issuer, leeway=30 and the 7 required claims as the core suite's PyJWT side, then "
    'returns {"sub": ...} as JSON; same token as authgate; no revocation check, no cache.',
    "authgate under granian (from .venv-bench): `granian --interface asgi --workers 1 "
    "--runtime-threads 1 --loop uvloop --http 1 --no-ws`, access log off, serving "
    "benchmarks/apps/authgate_asgi.py, which builds the same runtime from the same "
    "AUTHGATE_* settings (its own SQLite file) at lifespan start-up; same token as [3].",
    "fastapi-users (.venv-bench): its documented JWT set-up (JWTStrategy, BearerTransport, "
    "SQLAlchemyUserDatabase on SQLite via aiosqlite) under the same uvicorn flags; GET "
    "/users/me decodes the JWT with PyJWT (its own token from /auth/jwt/login, audience "
    "fastapi-users:auth) and then loads the user row from SQLite on every request, and "
    "serialises the user - more work than a pure token check, by design of that library.",
    "flask-jwt-extended (.venv-bench): Flask app, `@jwt_required()` route returning "
    '{"sub": identity}, served by `gunicorn -w 1 -k sync` (one sync worker). It verifies '
    "the same authgate token (same key, HS256, audience, issuer, leeway). gunicorn's sync "
    "worker does not keep connections alive, so every request also pays a TCP "
    "accept/close on the server; that is how this stack is served.",
)


def authgate_env(work: Path, secret: str, public_url: str, port: int, db: str) -> dict[str, str]:
    return {
        "AUTHGATE_PUBLIC_URL": public_url,
        "AUTHGATE_JWT_SECRET": secret,
        "AUTHGATE_DATABASE_URL": f"sqlite:///{work / db}",
        "AUTHGATE_HOST": "127.0.0.1",
        "AUTHGATE_PORT": str(port),
    }


def _uvicorn(python: str | Path, app: str, port: int) -> list[str]:
    return [str(python), "-m", "uvicorn", app, "--port", str(port), *UVICORN_FLAGS]


def start_servers(work: Path, secret: str, public_url: str) -> dict[str, Server]:
    """Start every server (all pinned to core 1); the caller waits and stops them."""
    bench_env = {
        "BENCH_SECRET": secret,
        "BENCH_ISSUER": public_url,
        "BENCH_AUDIENCE": "authgate-api",
    }
    python = sys.executable
    specs: list[tuple[str, list[str], Mapping[str, str], int]] = []
    port = free_port()
    authgate = str(Path(python).with_name("authgate"))
    specs.append(
        (
            "authgate",
            [authgate, "serve"],
            authgate_env(work, secret, public_url, port, "a.db"),
            port,
        )
    )
    port = free_port()
    specs.append(("hello", _uvicorn(python, "benchmarks.apps.hello:app", port), {}, port))
    port = free_port()
    specs.append(
        ("pyjwt", _uvicorn(python, "benchmarks.apps.pyjwt_dep:app", port), bench_env, port)
    )
    bench = bench_python()
    if bench is not None:
        port = free_port()
        granian = [
            str(bench.with_name("granian")),
            *("--interface", "asgi", "--host", "127.0.0.1", "--port", str(port)),
            *("--workers", "1", "--runtime-threads", "1", "--loop", "uvloop"),
            *("--http", "1", "--no-ws", "--log-level", "info"),
            "benchmarks.apps.authgate_asgi:app",
        ]
        specs.append(
            ("granian", granian, authgate_env(work, secret, public_url, port, "g.db"), port)
        )
        port = free_port()
        users_env = {**bench_env, "BENCH_DB": str(work / "fastapi-users.db")}
        specs.append(
            (
                "fastapi_users",
                _uvicorn(bench, "benchmarks.apps.fastapi_users_app:app", port),
                users_env,
                port,
            )
        )
        port = free_port()
        gunicorn = [
            str(bench),
            "-m",
            "gunicorn",
            "-w",
            "1",
            "-k",
            "sync",
            "-b",
            f"127.0.0.1:{port}",
            "benchmarks.apps.flask_jwt:app",
        ]
        specs.append(("flask", gunicorn, bench_env, port))
    servers: dict[str, Server] = {}
    try:
        for name, argv, env, port in specs:
            servers[name] = Server(
                name, argv, port=port, env=env, cpus=SERVER_CPUS, log_path=work / f"{name}.log"
            )
    except BaseException:
        for server in servers.values():
            server.stop()
        raise
    return servers


def authgate_token(server: Server) -> str:
    """Register an account with login=true over Bearer transport; its access token."""
    body = json.dumps({"email": "bench@example.com", "password": PASSWORD, "login": True})
    status, data = http_call(
        server.url("/auth/register"),
        body=body.encode(),
        headers={"Content-Type": "application/json", "X-Auth-Transport": "bearer"},
    )
    if status != 201 or "access_token" not in data:
        raise RuntimeError(f"authgate register answered {status}")
    token: str = data["access_token"]
    return token


def fastapi_users_token(server: Server) -> str:
    body = json.dumps({"email": "bench@example.com", "password": PASSWORD})
    status, _ = http_call(
        server.url("/auth/register"),
        body=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    if status != 201:
        raise RuntimeError(f"fastapi-users register answered {status}")
    form = urllib.parse.urlencode({"username": "bench@example.com", "password": PASSWORD})
    status, data = http_call(
        server.url("/auth/jwt/login"),
        body=form.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 200 or "access_token" not in data:
        raise RuntimeError(f"fastapi-users login answered {status}")
    token: str = data["access_token"]
    return token


def check_ok(server: Server, path: str, headers: Mapping[str, str]) -> None:
    """No side may be timed on an error path."""
    status, _ = http_call(server.url(path), headers=headers)
    if status != 200:
        raise RuntimeError(f"{server.name} {path} answered {status}, not 200")


def versions() -> dict[str, str]:
    """Versions of the servers and libraries on both sides."""
    script = (
        "import json, importlib.metadata as m\n"
        "names = ['fastapi', 'starlette', 'uvicorn', 'uvloop', 'httptools', 'pyjwt', 'granian',"
        " 'gunicorn', 'flask', 'flask-jwt-extended', 'fastapi-users', 'sqlalchemy', 'aiosqlite']\n"
        "out = {}\n"
        "for n in names:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))\n"
    )
    found: dict[str, str] = {}
    for label, python in (("venv", Path(sys.executable)), ("venv-bench", bench_python())):
        if python is None:
            continue
        done = subprocess.run(  # noqa: S603 - our own interpreter and script
            [str(python), "-c", script], capture_output=True, text=True, timeout=60, check=True
        )
        found.update({f"{label}:{k}": v for k, v in json.loads(done.stdout).items()})
    return found
