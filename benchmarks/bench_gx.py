"""How expensive is validating the staged spot-check table with Great Expectations?

    .venv/bin/python benchmarks/bench_gx.py                   # whole table vs one new delivery
    .venv/bin/python benchmarks/bench_gx.py --sizes 100000 --repeat 5 --json out.json
    .venv/bin/python benchmarks/bench_gx.py --routes --sizes 10000 100000 1000000

For each size a synthetic `staging.stg_raw__spot_checks` table (the dbt view's columns and types,
all rows valid, delivered files of 500 rows) is written to a DuckDB file in a temporary folder.

By default one fresh worker process compares what a run pays (`validate_staged_deliveries`):

- whole: the whole table (first build, full rebuild: `source_sha256=None`);
- delivery: the rows of the newest delivered file (500 rows) — GX on those rows, key
  uniqueness and row count in SQL over the whole table; with two of its parts (the filtered
  read; GX alone on the frame read) and the first call in the fresh process (import GX,
  context, suite);
- the ratio whole ÷ delivery.

`--routes` adds the comparison of routes made when the module was designed, each in a fresh
worker process, so none inherits another's imports or memory:

- gx:  the chosen route (orchestration/quality/gx_validation.py): first-call overhead (import
       GX, build the ephemeral context, load the suite, first read + validation), read time
       (DuckDB read-only → Arrow → pandas), warm validation time of the whole suite, the
       failure path (a few bad rows, which adds pass 2), and peak RSS after each stage.
- sql: the same core checks as one plain DuckDB SQL query (counts only, no sample values),
       on a read-only connection; time and peak RSS.
- df:  the alternative read, DuckDB's `.df()`, for comparison with Arrow → pandas.

The table is built in a worker process too: ru_maxrss survives fork + exec, so a parent that
had built a large table would inflate every worker's figure.

Peak RSS is `resource.getrusage(RUSAGE_SELF).ru_maxrss`, a high-water mark for the process.
Results are printed as Markdown tables (docs/data-quality.md quotes them).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "expectations" / "stg_raw__spot_checks.json"
TABLE = "staging.stg_raw__spot_checks"
SIZES = (100_000, 1_000_000)
ROUTE_SIZES = (10_000, 100_000, 1_000_000)
FILE_ROWS = 500

STREAMS = ["manufacturing", "food", "agricultural", "forestry", "risk"]
COUNTIES = [
    "131002",
    "131003",
    "131022",
    "131023",
    "131024",
    "131025",
    "131026",
    "131028",
    "131081",
    "131082",
    "LFKFQ",
]
CATEGORIES = ["M01", "M02", "M03", "M04", "M05", "M06", "M07", "M08", "M09", "F01", "A01", "R01"]
CREDIT_CODE = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join(f"'{value}'" for value in values) + "]"


def _sql_in(values: list[str]) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


def build_database(path: Path, rows: int) -> float:
    """A valid staged table of `rows` rows (≈ 8 % failed batches); returns seconds taken."""
    import duckdb

    started = time.perf_counter()
    connection = duckdb.connect(str(path))
    try:
        connection.execute("CREATE SCHEMA staging")
        connection.execute(
            f"""
            CREATE TABLE {TABLE} AS
            SELECT
                'SC' || lpad(i::VARCHAR, 10, '0') AS sample_no,
                {_sql_list(STREAMS)}[1 + i % 5] AS stream_code,
                DATE '2016-01-01' + (i % 3600)::INTEGER AS sampled_on,
                year(DATE '2016-01-01' + (i % 3600)::INTEGER)::INTEGER AS sample_year,
                {_sql_list(COUNTIES)}[1 + i % 11] AS county_code,
                '廊坊市示例企业' || (i % 5000)::VARCHAR || '有限公司' AS enterprise_name,
                '91131002' || lpad(((i * 7919) % 10000000000)::VARCHAR, 10, '0') AS credit_code,
                {_sql_list(CATEGORIES)}[1 + i % 12] AS category_code,
                '样品' || (i % 300)::VARCHAR AS product_name,
                CASE WHEN (i * 37) % 100 < 8 THEN 'fail' ELSE 'pass' END AS verdict,
                NOT ((i * 37) % 100 < 8) AS is_pass,
                CASE WHEN (i * 37) % 100 < 8 THEN '标签标识；净含量' END AS nonconforming_items,
                sha256('file' || (i // {FILE_ROWS})::VARCHAR) AS source_sha256,
                'spot_checks_' || (i // {FILE_ROWS})::VARCHAR || '.xlsx' AS source_file,
                (i % {FILE_ROWS} + 1)::INTEGER AS source_row,
                TIMESTAMP '2026-01-05 08:00:00' + to_seconds(i // {FILE_ROWS}) AS loaded_at,
                -- the view's other columns (the suite checks every documented column exists)
                NULL::VARCHAR AS stream_code_original,
                NULL::VARCHAR AS county_code_original,
                NULL::VARCHAR AS category_code_original,
                NULL::VARCHAR AS spec_model,
                NULL::VARCHAR AS batch_no,
                NULL::VARCHAR AS sampling_org,
                NULL::VARCHAR AS inspection_agency,
                NULL::VARCHAR AS verdict_original,
                NULL::VARCHAR AS city_name,
                '县区' AS location_basis,
                '廊坊市示例企业' || (i % 5000)::VARCHAR || '有限公司' AS sampled_unit_name,
                NULL::VARCHAR AS sampled_unit_address,
                NULL::VARCHAR AS manufacturer_name,
                false AS is_failure_list,
                '抽样日期' AS sampling_date_basis
            FROM range({rows}) AS t(i)
            """
        )
    finally:
        connection.close()
    return time.perf_counter() - started


SQL_CHECKS = f"""
SELECT
    count(*) AS row_count,
    count(*) - count(sample_no) AS sample_no_null,
    (SELECT coalesce(sum(n), 0) FROM (
        SELECT count(*) AS n FROM {TABLE} WHERE sample_no IS NOT NULL
        GROUP BY sample_no HAVING count(*) > 1)) AS sample_no_duplicated,
    count(*) - count(stream_code) AS stream_code_null,
    count_if(stream_code NOT IN {_sql_in(STREAMS)}) AS stream_code_not_in_set,
    count(*) - count(sampled_on) AS sampled_on_null,
    count_if(sampled_on < DATE '2000-01-01' OR sampled_on > current_date) AS sampled_on_out,
    count(*) - count(sample_year) AS sample_year_null,
    count_if(sample_year < 2000 OR sample_year > year(current_date)) AS sample_year_out,
    count(*) - count(county_code) AS county_code_null,
    count_if(county_code NOT IN {_sql_in(COUNTIES)}) AS county_code_not_in_set,
    count(*) - count(enterprise_name) AS enterprise_name_null,
    count(*) - count(credit_code) AS credit_code_null,
    count_if(length(credit_code) <> 18) AS credit_code_length,
    count_if(NOT regexp_full_match(credit_code, '{CREDIT_CODE}')) AS credit_code_regex,
    count(*) - count(category_code) AS category_code_null,
    count_if(category_code NOT IN {_sql_in(CATEGORIES)}) AS category_code_not_in_set,
    count(*) - count(product_name) AS product_name_null,
    count(*) - count(verdict) AS verdict_null,
    count_if(verdict NOT IN ('pass', 'fail')) AS verdict_not_in_set,
    count(*) - count(is_pass) AS is_pass_null,
    count_if(verdict = 'fail' AND is_pass) AS fail_but_is_pass,
    count_if(NOT is_pass AND verdict <> 'fail') AS not_pass_but_verdict,
    count_if(verdict = 'fail' AND nonconforming_items IS NULL) AS fail_without_items,
    avg(is_pass::INTEGER) AS pass_rate,
    count(*) - count(source_sha256) AS source_sha256_null,
    count_if(length(source_sha256) <> 64) AS source_sha256_length,
    count(*) - count(source_file) AS source_file_null,
    count(*) - count(source_row) AS source_row_null,
    count_if(source_row < 1) AS source_row_out,
    count(*) - count(loaded_at) AS loaded_at_null
FROM {TABLE}
"""


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _timed(function, repeat: int) -> tuple[list[float], object]:
    seconds, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = function()
        seconds.append(time.perf_counter() - started)
    return seconds, value


def worker_gx(database: Path, repeat: int) -> dict[str, object]:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    sys.path.insert(0, str(ROOT))
    report: dict[str, object] = {"rss_start_mib": _peak_rss_mib()}

    started = time.perf_counter()
    import great_expectations  # noqa: F401  (the import is what is measured)

    report["import_gx_s"] = time.perf_counter() - started
    from orchestration.quality import gx_validation as quality

    started = time.perf_counter()
    quality.warm_up()
    report["context_s"] = time.perf_counter() - started
    started = time.perf_counter()
    quality.load_suite(SUITE)
    report["suite_load_s"] = time.perf_counter() - started
    report["rss_after_setup_mib"] = _peak_rss_mib()

    # First call, as the asset check makes it in a fresh step process: read + validate.
    started = time.perf_counter()
    outcome = quality.validate_duckdb_table(database, TABLE, SUITE)
    report["first_call_s"] = time.perf_counter() - started
    assert outcome.success, quality.outcome_markdown(outcome)
    report["expectations"] = outcome.evaluated
    report["rss_after_first_call_mib"] = _peak_rss_mib()

    reads, frame = _timed(lambda: quality.read_duckdb_table(database, TABLE), repeat)
    report["read_s"] = reads
    validations, _ = _timed(lambda: quality.validate_dataframe(frame, SUITE), repeat)
    report["validate_s"] = validations
    end_to_end, _ = _timed(lambda: quality.validate_duckdb_table(database, TABLE, SUITE), repeat)
    report["end_to_end_s"] = end_to_end

    # Failure path: five bad rows make five expectations fail, three of which need pass 2.
    bad = frame.copy()
    bad.loc[0, "county_code"] = "999999"
    bad.loc[1, "credit_code"] = "91131002IO00000000"
    bad.loc[2, "stream_code"] = None
    bad.loc[3, "nonconforming_items"] = None
    bad.loc[3, "verdict"] = "fail"
    bad.loc[3, "is_pass"] = False
    bad.loc[4, "is_pass"] = not bool(bad.loc[4, "is_pass"])
    failing, failed_outcome = _timed(lambda: quality.validate_dataframe(bad, SUITE), 1)
    report["validate_failing_s"] = failing
    report["failing_expectations"] = failed_outcome.failed
    report["rss_peak_mib"] = _peak_rss_mib()
    return report


def worker_delivery(database: Path, repeat: int) -> dict[str, object]:
    """Whole table vs the newest delivered file's rows, as a run calls it."""
    import duckdb

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    sys.path.insert(0, str(ROOT))
    connection = duckdb.connect(str(database), read_only=True)
    try:
        newest = connection.sql(
            f"SELECT max_by(source_sha256, loaded_at), count(*) FROM {TABLE}"
        ).fetchall()[0]
    finally:
        connection.close()
    files = [newest[0]]
    report: dict[str, object] = {"table_rows": newest[1]}

    started = time.perf_counter()
    from orchestration.quality import gx_validation as quality

    first = quality.validate_staged_deliveries(database, TABLE, SUITE, files)
    report["first_call_s"] = time.perf_counter() - started  # import GX + context + suite + run
    assert first.success, quality.outcome_markdown(first)
    report["delivery_rows"] = first.rows_validated
    report["expectations"] = first.evaluated
    report["table_sql_expectations"] = sum(item.scope == "table" for item in first.outcomes)

    delivery, _ = _timed(
        lambda: quality.validate_staged_deliveries(database, TABLE, SUITE, files), repeat
    )
    report["delivery_s"] = delivery
    reads, frame = _timed(lambda: quality.read_duckdb_table(database, TABLE, files), repeat)
    report["delivery_read_s"] = reads
    gx_only, _ = _timed(lambda: quality.validate_dataframe(frame, SUITE), repeat)
    report["delivery_gx_s"] = gx_only
    report["rss_after_delivery_mib"] = _peak_rss_mib()

    whole, outcome = _timed(
        lambda: quality.validate_staged_deliveries(database, TABLE, SUITE, None), repeat
    )
    assert outcome.success and outcome.rows_validated == report["table_rows"]
    report["whole_s"] = whole
    report["rss_peak_mib"] = _peak_rss_mib()
    return report


def worker_sql(database: Path, repeat: int) -> dict[str, object]:
    import duckdb

    report: dict[str, object] = {"rss_start_mib": _peak_rss_mib()}

    def run() -> dict[str, object]:
        connection = duckdb.connect(str(database), read_only=True)
        try:
            cursor = connection.execute(SQL_CHECKS)
            names = [column[0] for column in cursor.description]
            return dict(zip(names, cursor.fetchone(), strict=True))
        finally:
            connection.close()

    run()  # first call: DuckDB's own warm-up (extensions, catalog)
    seconds, checks = _timed(run, repeat)
    report["sql_s"] = seconds
    report["checks"] = len(checks)
    violations = {k: v for k, v in checks.items() if k not in ("row_count", "pass_rate")}
    assert checks["row_count"] > 0 and 0.5 <= checks["pass_rate"] <= 1, checks
    assert not any(violations.values()), violations
    report["rss_peak_mib"] = _peak_rss_mib()
    return report


def worker_df(database: Path, repeat: int) -> dict[str, object]:
    """The alternative read: DuckDB's own `.df()` instead of Arrow → pandas."""
    import duckdb
    import pandas  # noqa: F401  (imported before timing, as in the GX worker)

    def run() -> int:
        connection = duckdb.connect(str(database), read_only=True)
        try:
            return len(connection.sql(f"SELECT * FROM {TABLE}").df())
        finally:
            connection.close()

    seconds, _ = _timed(run, repeat)
    return {"read_df_s": seconds, "rss_peak_mib": _peak_rss_mib()}


def worker_build(database: Path, repeat: int, rows: int) -> dict[str, object]:
    """In its own process: the parent stays small, and ru_maxrss survives fork + exec."""
    return {"build_s": build_database(database, rows), "rss_peak_mib": _peak_rss_mib()}


WORKERS = {
    "gx": worker_gx,
    "sql": worker_sql,
    "df": worker_df,
    "build": worker_build,
    "delivery": worker_delivery,
}


def _in_worker(mode: str, database: Path, repeat: int, rows: int = 0) -> dict[str, object]:
    command = [sys.executable, __file__, "--worker", mode, "--db", str(database)]
    command += ["--repeat", str(repeat), "--rows", str(rows)]
    env = dict(os.environ, GX_ANALYTICS_ENABLED="False", PYTHONPATH=str(ROOT))
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{mode} worker failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median(values: object) -> float:
    return statistics.median(values)  # type: ignore[arg-type]


def delivery_markdown(results: list[dict[str, object]]) -> str:
    lines = [
        "| table rows | new delivery | whole table | one delivery | ratio | read the delivery"
        " | GX alone on its rows | first call, fresh process | peak RSS: delivery / whole |",
        "| --: | --: | --: | --: | --: | --: | --: | --: | --: |",
    ]
    for result in results:
        run = result["delivery"]
        whole, delivery = _median(run["whole_s"]), _median(run["delivery_s"])
        lines.append(
            f"| {run['table_rows']:,} | {run['delivery_rows']:,} rows | {whole:.3f} s"
            f" | {delivery:.3f} s | {whole / delivery:.1f} ×"
            f" | {_median(run['delivery_read_s']):.3f} s | {_median(run['delivery_gx_s']):.3f} s"
            f" | {run['first_call_s']:.2f} s"
            f" | {run['rss_after_delivery_mib']:.0f} / {run['rss_peak_mib']:.0f} MiB |"
        )
    return "\n".join(lines)


def markdown(results: list[dict[str, object]]) -> str:
    lines = [
        "| rows | DuckDB file | read: Arrow → pandas | read: `.df()` | GX validate (warm)"
        " | read + validate (warm) | failing table | plain SQL, same checks | GX ÷ SQL |",
        "| --: | --: | --: | --: | --: | --: | --: | --: | --: |",
    ]
    for result in results:
        gx, sql, df = result["gx"], result["sql"], result["df"]
        validate = _median(gx["validate_s"])
        sql_s = _median(sql["sql_s"])
        lines.append(
            f"| {result['rows']:,} | {result['file_mib']:.1f} MiB | {_median(gx['read_s']):.3f} s"
            f" | {_median(df['read_df_s']):.3f} s | {validate:.3f} s"
            f" | {_median(gx['end_to_end_s']):.3f} s | {gx['validate_failing_s'][0]:.3f} s"
            f" | {sql_s:.3f} s | {validate / sql_s:.0f} × |"
        )
    lines += [
        "",
        "| rows | first call in a fresh process (import GX + context + suite + read + validate)"
        " | peak RSS after it | peak RSS, whole GX worker | peak RSS, SQL | peak RSS, `.df()` |",
        "| --: | --: | --: | --: | --: | --: |",
    ]
    for result in results:
        gx, sql, df = result["gx"], result["sql"], result["df"]
        setup = gx["import_gx_s"] + gx["context_s"] + gx["suite_load_s"]
        lines.append(
            f"| {result['rows']:,} | {setup + gx['first_call_s']:.2f} s"
            f" | {gx['rss_after_first_call_mib']:.0f} MiB | {gx['rss_peak_mib']:.0f} MiB"
            f" | {sql['rss_peak_mib']:.0f} MiB | {df['rss_peak_mib']:.0f} MiB |"
        )
    first = results[0]["gx"]
    lines += [
        "",
        "| one-off cost per process (smallest size) | |",
        "| --- | --: |",
        f"| `import great_expectations` | {first['import_gx_s']:.2f} s |",
        f"| ephemeral context + pandas datasource | {first['context_s']:.3f} s |",
        f"| load suite JSON ({first['expectations']} expectations)"
        f" | {first['suite_load_s']:.3f} s |",
        f"| peak RSS before / after GX import + context | {first['rss_start_mib']:.0f} /"
        f" {first['rss_after_setup_mib']:.0f} MiB |",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+")
    parser.add_argument(
        "--routes", action="store_true", help="also compare the read and validation routes"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--worker", choices=list(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        work = WORKERS[args.worker]
        extra = (args.rows,) if args.worker == "build" else ()
        print(json.dumps(work(args.db, args.repeat, *extra)))
        return

    sizes = args.sizes or list(ROUTE_SIZES if args.routes else SIZES)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-gx-") as folder:
        for rows in sizes:
            database = Path(folder) / f"staged_{rows}.duckdb"
            build = _in_worker("build", database, args.repeat, rows)
            result: dict[str, object] = {
                "rows": rows,
                "build_s": build["build_s"],
                "file_mib": database.stat().st_size / 2**20,
                "delivery": _in_worker("delivery", database, args.repeat),
            }
            run = result["delivery"]
            print(
                f"{rows:>9,} rows: whole {_median(run['whole_s']):.3f} s, "
                f"one delivery {_median(run['delivery_s']):.3f} s",
                file=sys.stderr,
            )
            if args.routes:
                for mode in ("gx", "sql", "df"):
                    result[mode] = _in_worker(mode, database, args.repeat)
            results.append(result)
            database.unlink()
    print(delivery_markdown(results))
    if args.routes:
        print()
        print(markdown(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
