#!/usr/bin/env bash
# Prepares this checkout on a Debian machine: system libraries (when root), a virtualenv
# in .venv and the package with pinned versions. `--test` adds the test-only tools
# (Chromium for browser tests, PostgreSQL for the second test run). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

run_pkgs="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-dejavu-core fonts-liberation2"
test_pkgs="chromium postgresql poppler-utils"
pkgs="$run_pkgs"
[ $want_test = 1 ] && pkgs="$pkgs $test_pkgs"

missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Installing Debian packages:$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends $missing >/dev/null
    else
        echo "MAPS needs these Debian packages, which are not installed:$missing" >&2
        echo "Install them with: sudo apt-get install$missing" >&2
        exit 1
    fi
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
stamp=.venv/.installed-$want_test
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
    .venv/bin/pip install -q --upgrade pip
    extra=""
    [ $want_test = 1 ] && extra="[test]"
    .venv/bin/pip install -q -c constraints.txt -e ".$extra"
    touch "$stamp"
fi
