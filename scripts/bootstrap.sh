#!/usr/bin/env bash
# Set up the project on a machine with Python 3.11: a virtual environment with the pinned
# stack (requirements.lock), the Dagster instance folder, and a dbt manifest.
# Sourced by demo.sh and test.sh; safe to run again (it skips what is already done).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python_bin=${PYTHON:-}
if [[ -z "$python_bin" ]]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python_bin=$candidate; break
    fi
  done
fi
[[ -n "$python_bin" ]] || { echo "Python 3.11 is required (set PYTHON=/path/to/python3.11)" >&2; exit 1; }

[[ -x .venv/bin/python ]] || "$python_bin" -m venv .venv
stamp=".venv/.installed-$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
  echo "Installing the pinned stack into .venv (about a minute) ..."
  # The lock is the whole closure: nothing to resolve (--no-deps; `pip check` runs after).
  # Bytecode compiled afterwards on every core (pip compiles one file at a time).
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-compile --no-deps -r requirements.lock 2> >(grep -v "is ignored" >&2)
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-compile --no-deps -e . 2> >(grep -v "is ignored" >&2)
  .venv/bin/python -m pip check --disable-pip-version-check >/dev/null
  .venv/bin/python -m compileall -q -j 0 .venv/lib orchestration >/dev/null || true
  touch "$stamp"
fi

# Everything offline: no telemetry from Dagster, dbt or Great Expectations.
export DAGSTER_DISABLE_TELEMETRY=1 DO_NOT_TRACK=1 DBT_SEND_ANONYMOUS_USAGE_STATS=False GX_ANALYTICS_ENABLED=False
export DAGSTER_HOME=${DAGSTER_HOME:-$PWD/.dagster_home}
.venv/bin/python -c 'import os, pathlib; from orchestration.settings import prepare_dagster_home; prepare_dagster_home(pathlib.Path(os.environ["DAGSTER_HOME"]))'
export PATH="$PWD/.venv/bin:$PATH"
