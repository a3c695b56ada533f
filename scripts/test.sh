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
sqlfluff lint --processes 2 dbt_project/models
# Parse the dbt project once if it changed, before two workers would both do it.
python -c "import orchestration.dbt_project"
# Temporary folders in memory where the machine has it: the tests write real DuckDB files, dbt
# targets and workbooks by the thousand, and on a shared disk that I/O is a good part of the
# run. Only failed tests' folders are kept, so little memory stays in use.
if [[ -z "${TMPDIR:-}" && -d /dev/shm && -w /dev/shm ]]; then
  export TMPDIR=/dev/shm
fi
# Two workers (2 cores); the tests of the shared pipeline fixture stay in one (conftest.py).
python -m pytest -n 2 --dist loadgroup -o tmp_path_retention_policy=failed "${marker[@]}" "$@"
