#!/usr/bin/env bash
# Set up, lint, and run the test suite (real DuckDB, dbt, GX and Dagster in temporary folders).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"

ruff check .
ruff format --check .
python -m pytest "$@"
