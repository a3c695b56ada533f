"""Load throughput per feed: generate a feed's sample at a scale, then load it with the real
loader into an empty warehouse, each step in its own process (so peak memory is the step's
own). Everything runs in a temporary folder; nothing in the project is touched.

    .venv/bin/python benchmarks/bench_feeds.py --years 2015 --scale 10
    .venv/bin/python benchmarks/bench_feeds.py --feeds spot_checks complaints
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

# Loads one feed's landing folder and prints what it did as JSON.
LOAD = """
import json, resource, sys, time
import duckdb
from orchestration.ingest.contract import load_contract
from orchestration.ingest.loader import ingest_landed
feed, raw, store, warehouse = sys.argv[1:5]
with duckdb.connect(warehouse) as conn:
    started = time.perf_counter()
    landed = ingest_landed(conn, load_contract(feed), __import__("pathlib").Path(raw),
                           __import__("pathlib").Path(store), 0)
    seconds = time.perf_counter() - started
reports = landed.reports
print(json.dumps({
    "files": len(reports),
    "rows_read": sum(r.rows_read for r in reports),
    "rows_loaded": sum(r.rows_loaded for r in reports),
    "rows_quarantined": sum(r.rows_quarantined for r in reports),
    "load_s": seconds,
    "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def _child(command: list[str], env: dict[str, str]) -> tuple[str, float]:
    """stdout and wall seconds of one child process; exits with its output if it fails."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"{' '.join(command[:4])} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.stdout, seconds


def bench_feed(feed: str, years: str, scale: float, error_rate: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix=f"lq-bench-{feed}-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "LQ_DATA_DIR": str(work / "warehouse"), "LQ_RAW_DIR": str(work)}
        generate = [
            PYTHON,
            "-m",
            "sample_data",
            "--feeds",
            feed,
            "--years",
            years,
            "--scale",
            str(scale),
            "--error-rate",
            str(error_rate),
            "--out",
            str(work / "raw"),
        ]
        _, generate_s = _child(generate, env)
        load = [PYTHON, "-c", LOAD, feed, str(work / "raw"), str(work / "store"), str(work / "w")]
        out, _ = _child(load, env)
        loaded = json.loads(out.strip().splitlines()[-1])
        rows = loaded["rows_read"]
        return {
            "feed": feed,
            "files": loaded["files"],
            "rows_read": rows,
            "rows_loaded": loaded["rows_loaded"],
            "rows_quarantined": loaded["rows_quarantined"],
            "generate_s": round(generate_s, 1),
            "load_s": round(loaded["load_s"], 2),
            "rows_per_s": round(rows / loaded["load_s"]) if loaded["load_s"] else 0,
            "load_peak_mib": round(loaded["peak_mib"]),
        }


def main() -> None:
    from orchestration.ingest.contract import feed_names

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--years", default="2015")
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--error-rate", type=float, default=0.01)
    parser.add_argument("--feeds", nargs="+", default=feed_names())
    args = parser.parse_args()
    rows = [bench_feed(feed, args.years, args.scale, args.error_rate) for feed in args.feeds]
    keys = list(rows[0])
    print(f"years {args.years}, scale {args.scale:g}, error rate {args.error_rate:g}")
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
