"""Ingestion throughput per feed, side by side with the yardstick on the same delivered bytes.

For each feed: the yardstick (bare DuckDB + python-calamine + pyarrow, given by path, never
copied here) reads and casts that feed's files; the project's loader ingests the same files
into an empty warehouse (every rule, quarantine, lineage, content-addressed store), in its own
process. Printed: seconds, rows/s and the ratio yardstick seconds / loader seconds (the issue's
target: ≥ 50 %, i.e. the loader within 2× of a bare read-and-cast).

The yardstick reads per feed with its own `read_all`; its cast step is one SQL statement over
every feed, so each feed is charged that statement's time in proportion to its rows.

    .venv/bin/python benchmarks/bench_ingestion.py \\
        --yardstick ../shared/bench/bare_duckdb_bench.py --generate 2015-2016 [--json OUT]
    .venv/bin/python benchmarks/bench_ingestion.py --yardstick Y --raw RAW_DIR
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent

# Loads one feed into an empty warehouse and prints what it did as JSON.
LOAD = """
import json, sys, time
from pathlib import Path
import duckdb
import pandas  # once per run in the pipeline (pyarrow and GX import it): not a feed's cost
feed, raw, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
with duckdb.connect(str(work / "warehouse.duckdb")) as conn:
    if feed == "submissions":
        from orchestration.submissions.intake import process_landed
        started = time.perf_counter()
        reports, _, _ = process_landed(conn, raw, work / "store",
                                       work / "feedback", 0)
        seconds = time.perf_counter() - started
        rows = sum(r.rows_read for r in reports)
    else:
        from orchestration.ingest.contract import load_contract
        from orchestration.ingest.loader import ingest_landed
        started = time.perf_counter()
        landed = ingest_landed(conn, load_contract(feed), raw, work / "store", 0)
        seconds = time.perf_counter() - started
        rows = sum(r.rows_read for r in landed.reports)
print(json.dumps({"seconds": seconds, "rows_read": rows}))
"""

# the yardstick's tables of each feed
TABLES = {"submissions": ("submission_metrics", "submission_tasks")}


def _yardstick(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("bare_duckdb_bench", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def yardstick_per_feed(path: Path, raw: Path) -> dict[str, dict[str, float]]:
    """Per feed: the yardstick's read seconds, its share of the cast and its rows."""
    import duckdb

    bench = _yardstick(path)
    files = bench.discover(raw)
    feeds = sorted({f.feed for f in files})
    out: dict[str, dict[str, float]] = {}
    for feed in feeds:
        con = duckdb.connect()
        started = time.perf_counter()
        stats = bench.read_all(con, [f for f in files if f.feed == feed], bench.Timings())
        out[feed] = {"read_s": time.perf_counter() - started, "rows": sum(stats["rows"].values())}
        con.close()
    # the cast: one statement over every feed's tables, charged by rows
    con = duckdb.connect()
    bench.read_all(con, files, bench.Timings())
    started = time.perf_counter()
    con.execute(bench.NORMALISE)
    cast = time.perf_counter() - started
    con.close()
    total_rows = sum(v["rows"] for v in out.values()) or 1
    for values in out.values():
        values["cast_s"] = cast * values["rows"] / total_rows
        values["seconds"] = values["read_s"] + values["cast_s"]
    return out


def loader_seconds(feed: str, raw: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="lq-bench-ingest-") as work:
        done = subprocess.run(
            [sys.executable, "-c", LOAD, feed, str(raw), work],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "LQ_SETTLE_SECONDS": "0"},
        )
        if done.returncode:
            sys.exit(f"{feed}: loader failed\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--yardstick", type=Path, required=True)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--raw", type=Path, help="an existing landing zone")
    source.add_argument("--generate", help="years of sample data to generate, e.g. 2015-2016")
    parser.add_argument("--scale", default="1")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lq-bench-raw-") as scratch:
        raw = args.raw
        if raw is None:
            raw = Path(scratch) / "raw"
            subprocess.run(
                [
                    *(sys.executable, "-m", "sample_data", "--out", str(raw)),
                    *("--years", args.generate, "--scale", args.scale),
                ],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
        yard = yardstick_per_feed(args.yardstick, raw)
        rows = []
        print(f"{'feed':<26}{'rows':>9}{'yardstick s':>13}{'loader s':>10}{'ratio':>8}")
        for feed, y in yard.items():
            ours = loader_seconds(feed, raw)
            ratio = y["seconds"] / ours["seconds"] if ours["seconds"] else float("inf")
            rows.append({"feed": feed, "yardstick": y, "loader": ours, "ratio": ratio})
            print(
                f"{feed:<26}{int(y['rows']):>9,}{y['seconds']:>13.2f}{ours['seconds']:>10.2f}"
                f"{ratio:>8.0%}",
                flush=True,
            )
        total_y = sum(r["yardstick"]["seconds"] for r in rows)
        total_l = sum(r["loader"]["seconds"] for r in rows)
        print(f"{'all feeds':<26}{'':>9}{total_y:>13.2f}{total_l:>10.2f}{total_y / total_l:>8.0%}")
        print(f"load average {os.getloadavg()[0]:.2f}")
        if args.json:
            args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
