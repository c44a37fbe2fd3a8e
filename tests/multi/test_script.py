"""``scripts/run-two-instances.sh``: two local instances, stopped by Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import stat
import subprocess
import time
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import httpx

from ._instances import PASSWORD, authgate_command, unique_email
from ._services import free_port, port_open, psql, psql_int, require_postgres

SCRIPT: Final = Path(__file__).resolve().parents[2] / "scripts" / "run-two-instances.sh"
START_DEADLINE: Final = 45.0
_URL_LINE: Final = re.compile(r"^authgate ([ab]): (http://127\.0\.0\.1:\d+) \(pid (\d+)\)$", re.M)


def _gone(pid: int, within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def _is_authgate(pid: int) -> bool:
    try:
        return b"authgate" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _spawn_interruptible(
    command: list[str], env: dict[str, str], out: Path
) -> subprocess.Popen[bytes]:
    """Start ``command`` with SIGINT deliverable: a shell cannot trap a signal
    it inherited as ignored (as under a non-interactive ``cmd &``)."""
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with out.open("wb") as log:
            return subprocess.Popen(  # noqa: S603 - our own script
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    finally:
        if previous is signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_script_starts_two_instances_and_ctrl_c_stops_both(redis_url: str, tmp_path: Path) -> None:
    """Invariant: the script brings up the documented topology from nothing
    -- creates and migrates the database, generates one JWT secret into a
    private file, starts two instances sharing PostgreSQL, Redis and the
    secret (a session started on one refreshes on the other), prints their
    URLs -- and SIGINT (Ctrl-C) stops both instances and the script."""
    base = require_postgres()
    parts = urlsplit(base)
    database = f"authgate_multi_script_{secrets.token_hex(6)}"
    ports = (free_port(), free_port())
    secret_file = tmp_path / "secret" / "jwt"
    (tmp_path / "no-secrets").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    env |= {
        "AUTHGATE_LOCAL_PG": f"{parts.scheme}://{parts.netloc}",
        "AUTHGATE_LOCAL_PG_ADMIN_DB": parts.path.strip("/") or "postgres",
        "AUTHGATE_LOCAL_DB": database,
        "AUTHGATE_REDIS_URL": redis_url,
        "AUTHGATE_SECRET_FILE": str(secret_file),
        "AUTHGATE_PORT_A": str(ports[0]),
        "AUTHGATE_PORT_B": str(ports[1]),
        "AUTHGATE_BIN": authgate_command()[0],
        "AUTHGATE_PASSWORD_PROFILE": "owasp-minimum",
        "AUTHGATE_SECRETS_DIR": str(tmp_path / "no-secrets"),
    }
    output = tmp_path / "script.out"
    process = _spawn_interruptible(["bash", str(SCRIPT)], env, output)
    pids: list[int] = []
    try:
        deadline = time.monotonic() + START_DEADLINE
        urls: dict[str, str] = {}
        while len(urls) < 2:
            assert process.poll() is None, output.read_text()
            assert time.monotonic() < deadline, output.read_text()
            found = _URL_LINE.findall(output.read_text(errors="replace"))
            urls = {name: url for name, url, _ in found}
            pids = [int(pid) for _, _, pid in found]
            time.sleep(0.1)
        assert urls == {"a": f"http://127.0.0.1:{ports[0]}", "b": f"http://127.0.0.1:{ports[1]}"}
        query = f"SELECT count(*) FROM pg_database WHERE datname = '{database}'"  # noqa: S608 - our hex name
        assert psql_int(base, query) == 1
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        assert len(secret_file.read_text().strip()) >= 43  # 256 bits, base64url

        with httpx.Client(headers={"X-Auth-Transport": "bearer"}, timeout=15) as http:
            for url in urls.values():
                assert http.get(f"{url}/healthz").status_code == 200
            email = unique_email("script")
            body = {"email": email, "password": PASSWORD}
            assert http.post(f"{urls['a']}/auth/register", json=body).status_code == 201
            logged_in = http.post(f"{urls['b']}/auth/login", json=body)
            assert logged_in.status_code == 200, logged_in.text
            refresh = {"refresh_token": logged_in.json()["refresh_token"]}
            assert http.post(f"{urls['a']}/auth/refresh", json=refresh).status_code == 200

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 130, output.read_text()
        for pid in pids:
            assert _gone(pid), f"instance {pid} outlived the script"
        assert not any(port_open(p) for p in ports)
    finally:
        try:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)  # the group the script leads
                process.wait(timeout=30)
            for pid in pids:
                if _is_authgate(pid):  # outlived the script (and the pid is not reused)
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
        finally:
            psql(base, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
