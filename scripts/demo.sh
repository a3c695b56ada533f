#!/usr/bin/env bash
# The main job, end to end on the embedded defaults: set up, generate sample data if raw/ is
# empty, materialise every asset into warehouse/langfang_quality.duckdb, print the KPI table
# and list the exported workbooks.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"

# The dbt project is parsed (on a fresh clone) while the sample data is written.
python -c "import orchestration.dbt_project" &
parsing=$!
if [[ -z "$(find raw -type f ! -name README.md -print -quit)" ]]; then
  echo "raw/ is empty: generating sample data (2015-2016) ..."
  python -m sample_data --years 2015-2016
fi
wait "$parsing"

# Dagster's event log is long: keep it in a file, show it only when the run fails. The job runs
# in this process, recorded in the instance of $DAGSTER_HOME (orchestration/launch.py); a run
# with nothing new builds nothing.
mkdir -p warehouse
log=warehouse/last_run.log
echo "Running job refresh_all (ingest → dbt behind the Great Expectations gates → publish); log: $log"
started=$SECONDS
if ! python -m orchestration.launch refresh_all >"$log" 2>&1; then
  tail -n 40 "$log"
  echo "refresh_all FAILED (full log: $log)" >&2
  exit 1
fi
grep -h "^refresh_all: " "$log" | cut -c1-300
echo "refresh_all done in $((SECONDS - started)) s"
echo
lq files | tail -n 1
echo
lq kpis
echo
echo "Workbooks for the statistics bureau (lq export --year YYYY to write one again):"
ls -1 warehouse/published/exports/*.xlsx
