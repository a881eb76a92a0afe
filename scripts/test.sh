#!/usr/bin/env bash
# The whole suite twice: on SQLite, then on a throwaway PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
echo "== Lint (ruff)"
.venv/bin/ruff check app tests migrations bench
echo "== Tests on SQLite"
.venv/bin/python -m pytest -n 2 "$@"
echo "== Tests on PostgreSQL"
scripts/with-postgres.sh .venv/bin/python -m pytest -n 2 "$@"
