#!/usr/bin/env bash
# Set up, lint (ruff for Python, sqlfluff for the dbt models), and run the test suite (real
# DuckDB, dbt, GX and Dagster in temporary folders). `--all` adds the slow end-to-end tests
# (kill -9 in the middle of runs, CLI runs in child processes), as CI does.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"

marker=(-m "not slow")
if [[ "${1:-}" == "--all" ]]; then
  shift
  marker=()
fi

ruff check .
ruff format --check .
sqlfluff lint dbt_project/models
python -m pytest "${marker[@]}" "$@"
