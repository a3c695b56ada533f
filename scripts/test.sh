#!/usr/bin/env bash
# Set up, lint (ruff for Python, sqlfluff for the dbt models), and run the test suite (real DuckDB, dbt, GX and Dagster in temporary folders).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"

ruff check .
ruff format --check .
sqlfluff lint dbt_project/models
python -m pytest "$@"
