#!/usr/bin/env bash
# The whole suite: lint (ruff), types (mypy), then unit, request, migration and browser tests,
# once on SQLite and once on PostgreSQL. Ends by saying what was skipped and why.
#
# PAYCLAIMS_TEST_POSTGRES_URL  PostgreSQL server to test on (a database is created and dropped)
# PAYCLAIMS_TEST_REDIS_URL     Redis for the rate-limit storage test
# PAYCLAIMS_REQUIRE_SERVICES=1 fail, rather than skip, when PostgreSQL or Redis is not reachable
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export PAYCLAIMS_TEST_POSTGRES_URL="${PAYCLAIMS_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"
export PAYCLAIMS_TEST_REDIS_URL="${PAYCLAIMS_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
require="${PAYCLAIMS_REQUIRE_SERVICES:-0}"
skipped=()
failed=()

step() { printf '\n== %s\n' "$*"; }

reachable() {
  "$BIN/python" - "$1" "$2" <<'PY' 2>/dev/null
import sys
kind, url = sys.argv[1], sys.argv[2]
if kind == "postgresql":
    import sqlalchemy as sa
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    with engine.connect():
        pass
    engine.dispose()
else:
    import redis
    redis.Redis.from_url(url, socket_connect_timeout=3).ping()
PY
}

service() {  # service KIND VARIABLE DESCRIPTION-OF-WHAT-IS-SKIPPED
  local kind=$1 variable=$2 what=$3
  if reachable "$kind" "${!variable}"; then
    return 0
  fi
  if [[ "$require" == "1" ]]; then
    echo "payclaims test: $kind is required but not reachable at ${!variable}" >&2
    failed+=("$kind not reachable")
    return 1
  fi
  skipped+=("$kind not reachable at ${!variable}: $what")
  unset "$variable"
  return 1
}

step "ruff"
"$BIN/ruff" check . && "$BIN/ruff" format --check . || failed+=("ruff")

step "mypy"
"$BIN/mypy" || failed+=("mypy")

marker=()
if [[ ! -x /usr/bin/chromium ]]; then
  skipped+=("Debian chromium not installed (run make test as root, or: sudo apt-get install chromium): browser tests skipped")
  marker=(-m "not e2e")
fi

service redis PAYCLAIMS_TEST_REDIS_URL "Redis rate-limit storage test skipped"
have_postgres=0
service postgresql PAYCLAIMS_TEST_POSTGRES_URL "PostgreSQL run skipped" && have_postgres=1

step "tests on SQLite"
PAYCLAIMS_TEST_POSTGRES_URL= "$BIN/python" -m pytest -n auto --dist worksteal "${marker[@]}" -p no:cacheprovider \
  || failed+=("tests on SQLite")

if [[ "$have_postgres" == "1" ]]; then
  step "tests on PostgreSQL"
  "$BIN/python" -m pytest -n auto --dist worksteal "${marker[@]}" -p no:cacheprovider || failed+=("tests on PostgreSQL")
fi

step "summary"
if ((${#skipped[@]})); then
  for line in "${skipped[@]}"; do echo "Skipped: $line"; done
else
  echo "Nothing skipped: lint, types, and every test on SQLite and PostgreSQL ran."
fi
if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "All checks passed."
