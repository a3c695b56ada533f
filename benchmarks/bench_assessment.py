"""Measure the annual assessment: job `publish_assessment` (the dbt steps with their GX gates,
then the publication) for one year and for a 10-year backfill in one run, on sample data of
every feed for 10 years at a small scale. Everything runs in a temporary folder.

    .venv/bin/python benchmarks/bench_assessment.py --years 2015-2024 --scale 0.05

Each measured run starts from an empty published file, so every year is built and published
(a new version 1 each). The backfill is also run once through the CLI (`dagster job execute`
with a partition range, Dagster's default multiprocess executor) to check the command the
README gives."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from orchestration import settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the sample generators are not installed with the package

from sample_data.__main__ import parse_years  # noqa: E402

BIN = Path(sys.executable).parent

# One in-process run; prints its wall seconds (the code location's import excluded).
RUN = """
import sys, time
from dagster import DagsterInstance
from orchestration.definitions import build_definitions
job_name, first, last = sys.argv[1:4]
tags = {} if first == "-" else {
    "dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
job = build_definitions().resolve_job_def(job_name)
started = time.perf_counter()
result = job.execute_in_process(instance=DagsterInstance.ephemeral(), tags=tags,
                                raise_on_error=False)
assert result.success, [e.message for e in result.all_events if e.is_failure]
print(time.perf_counter() - started)
"""


def _run(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(command[:4])} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return time.perf_counter() - started, done.stdout


def _in_process(env: dict[str, str], job: str, first: str = "-", last: str = "-") -> float:
    _, out = _run([str(BIN / "python"), "-c", RUN, job, first, last], env)
    return float(out.strip().splitlines()[-1])


def _published(path: Path) -> dict[str, object]:
    with duckdb.connect(str(path), read_only=True) as conn:
        versions = conn.execute("select count(*) from publications").fetchall()[0][0]
        rows = conn.execute(
            "select assessment_year, row_counts from publications order by 1"
        ).fetchall()
    return {"versions": versions, "rows": {year: json.loads(counts) for year, counts in rows}}


def _fresh(published: Path) -> None:
    """Forget every publication: the next run builds every year's version 1."""
    for path in published.parent.glob("*"):
        if path.is_dir():
            subprocess.run(["chmod", "-R", "u+w", str(path)], check=True)
            subprocess.run(["rm", "-rf", str(path)], check=True)
        else:
            path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", default="2015-2024")
    parser.add_argument("--scale", type=float, default=0.05)
    args = parser.parse_args()
    years = parse_years(args.years)
    first, last = str(years[0]), str(years[-1])
    with tempfile.TemporaryDirectory(prefix="lq-bench-assessment-") as tmp:
        workdir = Path(tmp)
        env = {**os.environ, **settings.environment_for(workdir), "LQ_SETTLE_SECONDS": "0"}
        env.pop("LQ_PUBLISHED", None)
        settings.prepare_dagster_home(Path(env["DAGSTER_HOME"]))
        published = workdir / "warehouse" / "published" / "assessment.duckdb"
        figures: dict[str, object] = {"years": args.years, "scale": args.scale}

        figures["generate_s"], _ = _run(
            [str(BIN / "python"), "-m", "sample_data", "--years", args.years,
             "--scale", str(args.scale), "--out", str(workdir / "raw")],
            env,
        )  # fmt: skip
        figures["refresh_all_s"] = _in_process(env, "refresh_all")
        figures["published_by_refresh_all"] = _published(published)

        _fresh(published)
        figures["one_year_s"] = _in_process(env, "publish_assessment", last, last)
        _fresh(published)
        figures["backfill_s"] = _in_process(env, "publish_assessment", first, last)
        figures["published_by_backfill"] = _published(published)

        _fresh(published)
        tags = json.dumps(
            {
                "dagster/asset_partition_range_start": first,
                "dagster/asset_partition_range_end": last,
            }
        )
        figures["backfill_cli_multiprocess_s"], _ = _run(
            [str(BIN / "dagster"), "job", "execute", "-m", "orchestration.definitions",
             "-j", "publish_assessment", "--tags", tags],
            env,
        )  # fmt: skip
        figures["published_by_cli_backfill"] = _published(published)["versions"]
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
