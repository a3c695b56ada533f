"""Measure the main job: code-location load, sample generation, full materialisation at a
given scale (Dagster's default multiprocess executor and in-process), ingestion throughput and
peak memory. Everything runs in a temporary folder; nothing in the project is touched.

    .venv/bin/python benchmarks/bench_pipeline.py --years 2015 --scales 1 10
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from orchestration import settings

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

IN_PROCESS = """
from dagster import DagsterInstance
from orchestration.definitions import build_definitions
result = build_definitions().resolve_job_def("refresh_all").execute_in_process(
    instance=DagsterInstance.ephemeral(), raise_on_error=False)
assert result.success
"""


def _run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of the command and every process it started."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"{' '.join(command[:3])} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def _env(workdir: Path) -> dict[str, str]:
    overrides = settings.environment_for(workdir)
    settings.prepare_dagster_home(Path(overrides["DAGSTER_HOME"]))
    env = {**os.environ, **overrides}
    env.pop("LQ_PUBLISHED", None)
    return env


def bench_scale(years: str, scale: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="lq-bench-") as tmp:
        results: dict[str, object] = {"years": years, "scale": scale}
        for mode in ("multiprocess", "in_process"):
            workdir = Path(tmp) / mode
            env = _env(workdir)
            gen_s, _ = _run(
                [
                    str(BIN / "python"),
                    "-m",
                    "sample_data",
                    "--years",
                    years,
                    "--scale",
                    str(scale),
                    "--out",
                    str(workdir / "raw"),
                ],
                env,
            )
            if mode == "multiprocess":
                command = [
                    str(BIN / "dagster"),
                    "job",
                    "execute",
                    "-m",
                    "orchestration.definitions",
                    "-j",
                    "refresh_all",
                ]
            else:
                command = [str(BIN / "python"), "-c", IN_PROCESS]
            run_s, peak = _run(command, env)
            results[f"{mode}_s"] = round(run_s, 1)
            results[f"{mode}_peak_mib"] = round(peak)
            if mode == "multiprocess":
                results["generate_s"] = round(gen_s, 2)
                warehouse = workdir / "warehouse" / "langfang_quality.duckdb"
                with duckdb.connect(str(warehouse), read_only=True) as conn:
                    read, loaded, quarantined = conn.execute(
                        "select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) "
                        "from raw.ingested_files"
                    ).fetchall()[0]
                results.update(
                    rows_read=int(read), rows_loaded=int(loaded), rows_quarantined=int(quarantined)
                )
                # spot-check ingestion alone, on a fresh warehouse in this process (every feed:
                # benchmarks/bench_feeds.py)
                results["spot_checks_rows_per_s"] = _ingest_rate(workdir / "raw", Path(tmp) / "ing")
        return results


def _ingest_rate(raw: Path, workdir: Path) -> int:
    from orchestration.ingest.contract import load_contract
    from orchestration.ingest.loader import ingest_feed

    workdir.mkdir()
    with duckdb.connect(str(workdir / "wh.duckdb")) as conn:
        started = time.perf_counter()
        reports = ingest_feed(conn, load_contract("spot_checks"), raw, workdir / "store")
        seconds = time.perf_counter() - started
    return round(sum(r.rows_read for r in reports) / seconds)


def bench_load_time() -> float:
    env = {**os.environ}
    code = (
        "import time; t = time.perf_counter(); import orchestration.definitions; "
        "print(time.perf_counter() - t)"
    )
    timings = []
    for _ in range(3):
        out = subprocess.run(
            [str(BIN / "python"), "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        timings.append(float(out.strip().splitlines()[-1]))
    return round(sorted(timings)[1], 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--years", default="2015")
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    args = parser.parse_args()
    print(f"code location load (median of 3, manifest present): {bench_load_time()} s")
    rows = [bench_scale(args.years, scale) for scale in args.scales]
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
