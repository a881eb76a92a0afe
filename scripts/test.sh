#!/usr/bin/env bash
# The whole suite twice: on SQLite, then on a throwaway PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
echo "== Lint (ruff)"
.venv/bin/ruff check app tests migrations bench
echo "== Tests on SQLite"
# loadgroup: tests marked with one xdist_group share a worker (and its session fixtures).
.venv/bin/python -m pytest -n 2 --dist loadgroup "$@"
echo "== Tests on PostgreSQL"
scripts/with-postgres.sh .venv/bin/python -m pytest -n 2 --dist loadgroup "$@"
