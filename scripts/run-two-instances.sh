#!/usr/bin/env bash
# Two authgate instances on one machine, sharing local PostgreSQL and Redis:
# the multi-instance topology for trying things out.  Ctrl-C stops both.
#
#   scripts/run-two-instances.sh
#
# Creates the database (default authgate_local) if it is missing and migrates
# it (`authgate db upgrade`), generates a JWT secret once into a file unless
# AUTHGATE_JWT_SECRET is set, starts instance a on 127.0.0.1:8001 and b on
# 127.0.0.1:8002, waits until both answer /healthz and prints their URLs.
# If either instance exits, the other is stopped too.
#
# Environment (all optional):
#   AUTHGATE_LOCAL_PG           PostgreSQL server URL without a database
#                               [postgresql://postgres@127.0.0.1:5432]
#   AUTHGATE_LOCAL_PG_ADMIN_DB  existing database to connect to for CREATE DATABASE [postgres]
#   AUTHGATE_LOCAL_DB           database name [authgate_local]
#   AUTHGATE_REDIS_URL          [redis://127.0.0.1:6379/0]
#   AUTHGATE_JWT_SECRET         shared signing secret; else read from / generated into
#   AUTHGATE_SECRET_FILE        [<repo>/.authgate/two-instances.secret]
#   AUTHGATE_PORT_A, AUTHGATE_PORT_B   [8001, 8002]
#   AUTHGATE_PUBLIC_URL         issuer shared by both [https://auth.localhost]
#   AUTHGATE_BIN                authgate executable [<repo>/.venv/bin/authgate, else PATH]
#   any other AUTHGATE_* setting is passed to both instances unchanged.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pg_server="${AUTHGATE_LOCAL_PG:-postgresql://postgres@127.0.0.1:5432}"
pg_server="${pg_server%/}"
admin_db="${AUTHGATE_LOCAL_PG_ADMIN_DB:-postgres}"
db="${AUTHGATE_LOCAL_DB:-authgate_local}"
port_a="${AUTHGATE_PORT_A:-8001}"
port_b="${AUTHGATE_PORT_B:-8002}"
secret_file="${AUTHGATE_SECRET_FILE:-$repo/.authgate/two-instances.secret}"

if [[ -n "${AUTHGATE_BIN:-}" ]]; then
  authgate="$AUTHGATE_BIN"
elif [[ -x "$repo/.venv/bin/authgate" ]]; then
  authgate="$repo/.venv/bin/authgate"
else
  authgate="$(command -v authgate || true)"
fi
if [[ -z "$authgate" || ! -x "$authgate" ]]; then
  echo "error: authgate is not installed (python3 -m venv .venv && .venv/bin/pip install -e .)" >&2
  exit 1
fi
if ! command -v psql >/dev/null; then
  echo "error: psql is needed to create the database" >&2
  exit 1
fi
if [[ ! "$db" =~ ^[a-z_][a-z0-9_]{0,62}$ ]]; then
  echo "error: AUTHGATE_LOCAL_DB must be a plain lower-case identifier" >&2
  exit 2
fi

# The database: create it if missing, then migrate (PostgreSQL is never
# migrated by the server itself).
exists="$(psql "$pg_server/$admin_db" -XtAq -v ON_ERROR_STOP=1 \
  -c "SELECT 1 FROM pg_database WHERE datname = '$db'")"
if [[ "$exists" != "1" ]]; then
  echo "creating database $db"
  psql "$pg_server/$admin_db" -Xq -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$db\""
fi
export AUTHGATE_DATABASE_URL="$pg_server/$db"
export AUTHGATE_REDIS_URL="${AUTHGATE_REDIS_URL:-redis://127.0.0.1:6379/0}"
export AUTHGATE_PUBLIC_URL="${AUTHGATE_PUBLIC_URL:-https://auth.localhost}"
"$authgate" db upgrade

# One secret for both instances (a token from one must verify on the other).
if [[ -z "${AUTHGATE_JWT_SECRET:-}" ]]; then
  if [[ ! -s "$secret_file" ]]; then
    mkdir -p "$(dirname "$secret_file")"
    (umask 077 && "$authgate" keys generate >"$secret_file")
    echo "generated a JWT secret into $secret_file"
  fi
  AUTHGATE_JWT_SECRET="$(<"$secret_file")"
fi
export AUTHGATE_JWT_SECRET

pids=()
stop() {
  trap - INT TERM EXIT
  if ((${#pids[@]})); then
    echo "stopping instances ${pids[*]}"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 1 100); do
      alive=0
      for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
      ((alive)) || break
      sleep 0.1
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

start() { # name port
  AUTHGATE_HOST=127.0.0.1 AUTHGATE_PORT="$2" "$authgate" serve \
    > >(sed -u "s/^/[$1] /") 2>&1 &
  pids+=("$!")
}
start a "$port_a"
start b "$port_b"

python="$(dirname "$authgate")/python"
[[ -x "$python" ]] || python="python3"
healthy() {
  "$python" - "$1" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1) as r:
        sys.exit(0 if r.status == 200 else 1)
except OSError:
    sys.exit(1)
PY
}
for port in "$port_a" "$port_b"; do
  for attempt in $(seq 1 150); do
    healthy "$port" && break
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "error: an instance exited during start-up" >&2; exit 1; }
    done
    ((attempt < 150)) || { echo "error: no answer on port $port after 30 s" >&2; exit 1; }
    sleep 0.2
  done
done

echo "authgate a: http://127.0.0.1:$port_a (pid ${pids[0]})"
echo "authgate b: http://127.0.0.1:$port_b (pid ${pids[1]})"
echo "database $AUTHGATE_DATABASE_URL, redis $AUTHGATE_REDIS_URL; Ctrl-C stops both"

# Until Ctrl-C, or until either instance exits (then stop the other).
set +e
wait -n "${pids[@]}"
status=$?
echo "an instance exited (status $status); stopping the other" >&2
exit $((status ? status : 1))
