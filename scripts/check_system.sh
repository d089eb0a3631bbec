#!/usr/bin/env bash
# Check (and, as root on Debian, install) what payclaims needs from the system.
#   scripts/check_system.sh run    Python 3.11+, Node 20+, Pango and HarfBuzz subsetting for PDFs
#   scripts/check_system.sh test   the same plus Debian's Chromium for the browser tests
# Anything missing that cannot be installed stops with one line naming the Debian packages.
set -euo pipefail
mode="${1:-run}"

fail() { echo "payclaims setup: $*" >&2; exit 1; }

python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || fail "Python 3.11 or newer is needed (found $(python3 --version 2>&1))."
command -v node >/dev/null && command -v npm >/dev/null \
  || fail "Node.js 20 or newer and npm are needed: install the Debian packages nodejs and npm."
node -e 'process.exit(parseInt(process.versions.node) < 20 ? 1 : 0)' \
  || fail "Node.js 20 or newer is needed (found $(node --version))."

have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }

missing=()
optional=()
# Debian's python3 makes virtual environments only with python3-venv (ensurepip).
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
# WeasyPrint needs Pango; without HarfBuzz's subsetting library it silently falls back to
# subsetting fonts in pure Python and renders about 7 times slower.
have_lib 'libpango-1.0.so.0' || missing+=(libpango-1.0-0)
have_lib 'libpangoft2-1.0.so.0' || missing+=(libpangoft2-1.0-0)
have_lib 'libharfbuzz-subset.so.0' || missing+=(libharfbuzz-subset0)
if ! command -v fc-list >/dev/null; then
  missing+=(fontconfig fonts-dejavu-core)
elif [[ -z "$(fc-list 2>/dev/null | head -n 1)" ]]; then
  missing+=(fonts-dejavu-core)
fi
# The browser tests need Debian's Chromium; without it they are skipped, not failed.
if [[ "$mode" == "test" && ! -x /usr/bin/chromium ]]; then
  optional+=(chromium)
fi

wanted=("${missing[@]}" "${optional[@]}")
if ((${#wanted[@]})) && [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
  echo "payclaims setup: installing Debian packages: ${wanted[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null
elif ((${#missing[@]})); then
  fail "missing system packages; install them with: sudo apt-get install ${missing[*]}"
elif ((${#optional[@]})); then
  echo "payclaims setup: Debian chromium is not installed, so the browser tests will be" \
    "skipped; install it with: sudo apt-get install chromium"
fi
