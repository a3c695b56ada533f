"""The environmental feeds over many years: generate them (default 10 years, 2014–2023), load
each with the real loader into one empty warehouse (each load in its own process), then time a
full rebuild of the environmental dbt models — staging, HJ 663 / HJ 633 / GB 3838 derivations,
marts and KPIs, with everything upstream — twice: `dbt run` (models only) and `dbt build`
(models, data tests and unit tests). Everything runs in a temporary folder; nothing is asserted.

    .venv/bin/python benchmarks/bench_environment.py
    .venv/bin/python benchmarks/bench_environment.py --years 2014-2016 --scale 12.5
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_feeds import LOAD, PYTHON, _child

from orchestration import settings

ENVIRONMENTAL_FEEDS = (
    "air_quality_daily",
    "air_quality_hourly",
    "surface_water",
    "drinking_water",
    "sewage",
)
# The environmental marts, KPIs and their lineage; `+` takes everything they are built from.
SELECTION = (
    "+fct_air_quality_daily +fct_air_quality_annual +fct_surface_water_rivers "
    "+fct_drinking_water_compliance +fct_sewage_treatment +int_kpi__environment "
    "+int_kpi_lineage__air_quality +int_kpi_lineage__surface_water "
    "+int_kpi_lineage__drinking_water +int_kpi_lineage__sewage +int_kpi_lineage__environment"
)
DBT = str(Path(PYTHON).with_name("dbt"))


def _dbt(command: str, work: Path, env: dict[str, str]) -> float:
    # every seed: the selected models' tests read seeds outside the selection
    selection = [] if command == "seed" else ["--select", SELECTION]
    # only the tests whose every parent is selected (as tests/feed_helpers builds)
    selection += ["--indirect-selection", "buildable"] if command == "build" else []
    args = [
        DBT,
        command,
        *selection,
        "--project-dir",
        str(settings.DBT_PROJECT_DIR),
        "--profiles-dir",
        str(settings.DBT_PROJECT_DIR),
        "--target-path",
        str(work / "dbt_target"),
        "--log-path",
        str(work / "dbt_logs"),
    ]
    _, seconds = _child(args, env)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--years", default="2014-2023")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--error-rate", type=float, default=0.01)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lq-bench-environment-") as tmp:
        work = Path(tmp)
        env = {**os.environ, **settings.environment_for(work)}
        generate = [PYTHON, "-m", "sample_data", "--feeds"]
        generate += [",".join(ENVIRONMENTAL_FEEDS), "--years", args.years]
        generate += ["--scale", str(args.scale), "--error-rate", str(args.error_rate)]
        _, generate_s = _child([*generate, "--out", str(work / "raw")], env)
        print(f"years {args.years}, scale {args.scale:g}: generated in {generate_s:.1f} s")
        print("| feed | files | rows read | loaded | quarantined | load s | rows/s | peak MiB |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        warehouse = env["LQ_WAREHOUSE"]
        Path(warehouse).parent.mkdir(parents=True, exist_ok=True)
        for feed in ENVIRONMENTAL_FEEDS:
            load = [PYTHON, "-c", LOAD, feed, str(work / "raw"), str(work / "store"), warehouse]
            out, _ = _child(load, env)
            r = json.loads(out.strip().splitlines()[-1])
            rate = round(r["rows_read"] / r["load_s"]) if r["load_s"] else 0
            print(
                f"| {feed} | {r['files']} | {r['rows_read']} | {r['rows_loaded']} "
                f"| {r['rows_quarantined']} | {r['load_s']:.1f} | {rate} | {r['peak_mib']:.0f} |"
            )
        # dbt needs every raw table the selected models read, even empty ones
        ensure = (
            "import duckdb, sys\n"
            "from orchestration.ingest.contract import feed_names, load_contract\n"
            "from orchestration.ingest.loader import ensure_tables\n"
            "from orchestration.submissions.store import ensure_submission_tables\n"
            "with duckdb.connect(sys.argv[1]) as conn:\n"
            "    [ensure_tables(conn, load_contract(f)) for f in feed_names()]\n"
            "    ensure_submission_tables(conn)\n"
        )
        _child([PYTHON, "-c", ensure, warehouse], env)
        _dbt("seed", work, env)
        started = time.perf_counter()
        run_s = _dbt("run", work, env)
        print(f"dbt run (full rebuild of the environmental models): {run_s:.1f} s", flush=True)
        build_s = _dbt("build", work, env)
        print(f"dbt build (the same with data and unit tests): {build_s:.1f} s")
        print(f"total rebuild time measured: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
