"""How long does the bureau's Excel export take, and how big is the workbook?

    .venv/bin/python benchmarks/bench_export.py                       # the published file
    .venv/bin/python benchmarks/bench_export.py --published PATH --years 10 --versions 5 \
        --multiply 20

Measures `export_workbook` (read the published tables, lay out the four sheets, save) on:

1. the published file as it is (LQ_PUBLISHED, e.g. after scripts/demo.sh): its latest year;
2. a synthetic published file in a temporary folder, made from that file's latest year by SQL:
   `--years` assessment years × `--versions` publication versions, every year's rows
   repeated `--multiply` times (units and items with suffixed codes) — a long history and a
   far bigger year than Langfang's 11 counties and ~25 units. Exported: one year, and every
   year (what the Dagster asset does).

Each export runs `--repeat` times; the median is reported. Peak RSS is the process's
high-water mark. Output: a Markdown table (docs/performance.md quotes it).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from orchestration import settings
from orchestration.export.workbook import TABLES, ExportResult, export_workbook
from orchestration.publication.reader import published_years

KEYS = {  # columns made distinct in each copy of a year's rows
    "city_targets": "kpi_code",
    "county_scorecard": "unit_code",
    "unit_scorecard": "unit_code",
    "assessment_items": "unit_code",
}


def synthetic(source: Path, target: Path, years: int, versions: int, multiply: int) -> None:
    """`years` × `versions` copies of the source's latest year, each `multiply` times bigger
    (city targets stay one set per year: the catalogue does not grow)."""
    with duckdb.connect(str(target)) as conn:
        conn.execute(f"attach '{source}' as src (read_only)")
        year = conn.execute("select max(assessment_year) from src.city_targets_latest").fetchone()
        base = year[0]
        conn.execute(
            "create table publications as select version, "
            "timestamp '2017-01-10 02:00:00' + to_days(cast(version as integer)) as published_at, "
            "'synthetic' as content_sha256, 'synthetic' as inputs_sha256, '{}'::json as "
            f"row_counts from range(1, {versions + 1}) as v(version)"
        )
        for table in TABLES:
            key = KEYS[table]
            copies = 1 if table == "city_targets" else multiply
            conn.execute(
                f"create table {table} as select * replace ("
                "cast(v.version as integer) as publication_version, "
                f"cast({base} - y.k as integer) as assessment_year, "
                f"case when c.n = 0 then {key} else {key} || '_' || c.n end as {key}) "
                f"from src.{table}_latest as t, range(1, {versions + 1}) as v(version), "
                f"range({years}) as y(k), range({copies}) as c(n) "
                f"where t.assessment_year = {base}"
            )
            conn.execute(
                f"create view {table}_latest as select * from {table} "
                "where publication_version = (select max(version) from publications)"
            )


def timed(run: Callable[[], list[ExportResult]], repeat: int) -> tuple[float, list[ExportResult]]:
    times, results = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        results = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), results


def row(label: str, seconds: float, results: list[ExportResult]) -> str:
    rows = sum(sum(r.rows.values()) for r in results)
    size = sum(r.bytes for r in results)
    per_sheet = ", ".join(f"{n}" for n in results[0].rows.values())
    return (
        f"| {label} | {len(results)} | {per_sheet} | {rows:,} | {size / 1024:,.0f} KiB | "
        f"{seconds:.2f} s | {rows / seconds:,.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--published", type=Path, default=settings.published_path())
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--versions", type=int, default=3)
    parser.add_argument("--multiply", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    lines = [
        "| published file | workbooks | rows per sheet (first) | rows | size | time (median) "
        "| rows/s |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        out = Path(folder)
        year = published_years(args.published)[-1]

        def one(published: Path, year: int) -> Callable[[], list[ExportResult]]:
            return lambda: [export_workbook(published, year, out=out / f"{year}.xlsx")]

        seconds, results = timed(one(args.published, year), args.repeat)
        lines.append(row(f"as published, {year}", seconds, results))

        big = out / "synthetic.duckdb"
        started = time.perf_counter()
        synthetic(args.published, big, args.years, args.versions, args.multiply)
        built = time.perf_counter() - started
        size = big.stat().st_size / 2**20
        label = f"synthetic ({args.years} years × {args.versions} versions, ×{args.multiply})"
        seconds, results = timed(one(big, year), args.repeat)
        lines.append(row(f"{label}, {year}", seconds, results))

        def every_year() -> list[ExportResult]:
            return [
                export_workbook(big, y, out=out / f"all_{y}.xlsx") for y in published_years(big)
            ]

        seconds, results = timed(every_year, 1)
        lines.append(row(f"{label}, every year", seconds, results))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("\n".join(lines))
    print(f"\nsynthetic file: {size:.1f} MiB, built in {built:.1f} s; peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
