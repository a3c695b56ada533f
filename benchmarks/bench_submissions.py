"""Measure the submissions channel: writing every template for a year, generating filled
workbooks, and ingesting them by the bulk path (one run, every new file) and the sensor path
(one run per file, as the sensor requests them). Each step runs in its own process so its
peak memory is its own. Everything happens in a temporary folder.

    .venv/bin/python benchmarks/bench_submissions.py --years 2015-2020 --sensor-sample 100
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the sample generators are not installed with the package


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step_templates(workdir: Path, years: list[int]) -> dict[str, object]:
    from orchestration.submissions.reporting import all_forms
    from orchestration.submissions.template_writer import write_templates

    forms = all_forms(years[:1])
    started = time.perf_counter()
    paths = write_templates(forms, workdir / "templates")
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in paths)
    return {"templates": len(paths), "seconds": seconds, "bytes": size}


def step_generate(workdir: Path, years: list[int]) -> dict[str, object]:
    from sample_data.submissions import generate_submissions

    started = time.perf_counter()
    summary = generate_submissions(workdir / "raw", years, error_rate=0.02)
    return {"files": len(summary.files), "seconds": time.perf_counter() - started}


def step_bulk(workdir: Path) -> dict[str, object]:
    import duckdb

    from orchestration.submissions.intake import process_landed

    conn = duckdb.connect(str(workdir / "bulk.duckdb"))
    started = time.perf_counter()
    reports, _, _ = process_landed(
        conn, workdir / "raw", workdir / "store-bulk", workdir / "feedback-bulk", 0
    )
    seconds = time.perf_counter() - started
    statuses = {s: sum(r.status == s for r in reports) for s in {r.status for r in reports}}
    rows = sum(r.rows_read for r in reports)
    return {"files": len(reports), "seconds": seconds, "statuses": statuses, "rows": rows}


def step_sensor(workdir: Path, sample: int) -> dict[str, object]:
    from dagster import DagsterInstance, RunRequest, build_sensor_context

    from orchestration.definitions import build_definitions
    from orchestration.defs.submissions.sensors import submission_sensor

    with DagsterInstance.ephemeral() as instance:
        started = time.perf_counter()
        requests = [
            r
            for r in submission_sensor(build_sensor_context(instance=instance))
            if isinstance(r, RunRequest)
        ]
        tick = time.perf_counter() - started
        job = build_definitions().resolve_job_def("submission_intake")
        started = time.perf_counter()
        for request in requests[:sample]:
            result = job.execute_in_process(run_config=request.run_config, instance=instance)
            assert result.success
        runs = time.perf_counter() - started
    per_run = runs / min(sample, len(requests))
    return {
        "requests": len(requests),
        "tick_seconds": tick,
        "runs": min(sample, len(requests)),
        "runs_seconds": runs,
        "per_run_seconds": per_run,
    }


def step_launch(workdir: Path) -> dict[str, object]:
    """One run as the daemon launches it: a fresh `dagster job execute` process."""
    name = next(p for p in sorted((workdir / "raw" / "submissions").rglob("*.xlsx")))
    config = {
        "ops": {
            "raw_submissions": {"config": {"files": [name.relative_to(workdir / "raw").as_posix()]}}
        }
    }
    config_file = workdir / "run.json"
    config_file.write_text(json.dumps(config))
    started = time.perf_counter()
    subprocess.run(
        [
            str(Path(sys.executable).parent / "dagster"),
            "job",
            "execute",
            "-m",
            "orchestration.definitions",
            "-j",
            "submission_intake",
            "-c",
            str(config_file),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return {"seconds": time.perf_counter() - started}


def _child(step: str, workdir: Path, years: list[int], sample: int) -> dict[str, object]:
    env = {
        **os.environ,
        "LQ_DATA_DIR": str(workdir / "warehouse"),
        "LQ_RAW_DIR": str(workdir / "raw"),
        "LQ_WAREHOUSE": str(workdir / "warehouse" / f"{step}.duckdb"),
        "DAGSTER_HOME": str(workdir / "dagster_home"),
        "LQ_SETTLE_SECONDS": "0",
    }
    (workdir / "dagster_home").mkdir(parents=True, exist_ok=True)
    (workdir / "dagster_home" / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--step",
            step,
            "--workdir",
            str(workdir),
            "--years",
            ",".join(map(str, years)),
            "--sensor-sample",
            str(sample),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"step {step} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    from sample_data.__main__ import parse_years

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--years", default="2015-2020", help="years of workbooks to ingest")
    parser.add_argument("--sensor-sample", type=int, default=100, help="runs to time")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    years = parse_years(args.years)
    if args.step:
        runners = {
            "templates": lambda: step_templates(args.workdir, years),
            "generate": lambda: step_generate(args.workdir, years),
            "bulk": lambda: step_bulk(args.workdir),
            "sensor": lambda: step_sensor(args.workdir, args.sensor_sample),
            "launch": lambda: step_launch(args.workdir),
        }
        result = runners[args.step]()
        print(json.dumps({**result, "peak_mib": _peak_mib()}, default=str))
        return
    with tempfile.TemporaryDirectory(prefix="lq-bench-sub-") as tmp:
        workdir = Path(tmp)
        out = {
            step: _child(step, workdir, years, args.sensor_sample)
            for step in ("templates", "generate", "bulk", "sensor", "launch")
        }
    t, g, b, s = out["templates"], out["generate"], out["bulk"], out["sensor"]
    print(
        f"templates : {t['templates']} in {t['seconds']:.1f}s "
        f"({1000 * t['seconds'] / t['templates']:.0f} ms each, {t['bytes'] / 1e6:.1f} MB), "
        f"peak {t['peak_mib']:.0f} MiB"
    )
    print(f"generate  : {g['files']} workbooks in {g['seconds']:.1f}s")
    print(
        f"bulk path : {b['files']} files, {b['rows']} rows in {b['seconds']:.1f}s "
        f"({b['files'] / b['seconds']:.1f} files/s, {b['rows'] / b['seconds']:.0f} rows/s) "
        f"{b['statuses']}, peak {b['peak_mib']:.0f} MiB"
    )
    print(
        f"sensor    : tick over {s['requests']} files {s['tick_seconds']:.2f}s; "
        f"{s['runs']} runs in process {s['runs_seconds']:.1f}s "
        f"({s['per_run_seconds']:.2f} s/run → {s['per_run_seconds'] * b['files'] / 60:.1f} min "
        f"for {b['files']}), peak {s['peak_mib']:.0f} MiB"
    )
    print(f"launch    : one `dagster job execute` run {out['launch']['seconds']:.1f}s")


if __name__ == "__main__":
    main()
