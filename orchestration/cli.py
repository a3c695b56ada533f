"""`lq`: read the platform's results from the command line.

lq kpis [--year 2015] [--all]   city targets from the published file (read-only)
lq counties [--year 2015] [--kpi MFG_PASS_RATE]
                                KPI values per county from the published file
lq publications [--year 2015]   published versions per assessment year, with their hashes
lq diff --year 2016 [--version 2]
                                what changed in a version against the one before
lq files                        per-file reconciliation from the working warehouse
lq quarantine [--limit 20]      quarantined rows with their reasons
lq submissions [--unit SZJJ] [--period 2015Y] [--status returned]
                                every processed workbook (version) with its status
lq templates --year 2015 [--period 2015Q1] [--out DIR]
                                write the blank submission templates
lq export --year 2016 [--version N] [--out FILE.xlsx]
                                the year's assessment results as a workbook for the bureau
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb

from orchestration import settings
from orchestration.publication.diff import render_diff
from orchestration.publication.reader import NotPublished, PublishedReader, open_published
from orchestration.publication.tables import TABLE_NAMES


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.2f}"
    return str(value)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Fixed-width text table that lines up Chinese (double-width) characters."""
    cells = [[_cell_text(v) for v in r] for r in rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def _warehouse_query(sql: str, params: Sequence[object] = ()) -> tuple[list[str], list[tuple]]:
    """A read-only query on the working warehouse (files, quarantine, submissions)."""
    path = settings.warehouse_path()
    if not path.exists():
        raise SystemExit(f"{path} does not exist yet: run the pipeline first (scripts/demo.sh)")
    with duckdb.connect(str(path), read_only=True) as conn:
        cursor = conn.execute(sql, list(params))
        rows = cursor.fetchall()
        return [d[0] for d in cursor.description], rows


@contextmanager
def _published() -> Iterator[PublishedReader]:
    """The published file through its one reader; what is missing, as the command's error."""
    try:
        with open_published(settings.published_path()) as reader:
            yield reader
    except NotPublished as error:
        raise SystemExit(f"{error} (scripts/demo.sh)") from None


def _columns(
    rows: Sequence[Mapping[str, object]], columns: Sequence[tuple[str, str]]
) -> tuple[list[str], list[list[object]]]:
    """Headers and cells of `columns` ((published column, header), ...) of `rows`; a column
    the publication does not have (yet) is empty."""
    return [h for _, h in columns], [[row.get(c) for c, _ in columns] for row in rows]


KPI_COLUMNS = (
    ("assessment_year", "年度"),
    ("kpi_code", "kpi_code"),
    ("kpi_name", "指标"),
    ("comparator", "比较"),
    ("target_value", "目标值"),
    ("actual_value", "实际值"),
    ("unit", "单位"),
    ("numerator", "分子"),
    ("denominator", "分母"),
    ("status_label", "状态"),
)


def cmd_kpis(args: argparse.Namespace) -> str:
    with _published() as published:
        latest = published.latest_versions()
        targets = published.rows("city_targets")  # the latest version of every year
    shown = [
        row
        for row in targets
        if (args.all or row["actual_value"] is not None)
        and (not args.year or row["assessment_year"] == args.year)
    ]
    headers, cells = _columns(shown, KPI_COLUMNS)
    versions = ", ".join(f"{year} v{record.version}" for year, record in sorted(latest.items()))
    statuses = Counter(row.get("status") for row in targets)
    kpis = len({row["kpi_code"] for row in targets})
    hint = "" if args.all else " (--all lists the KPIs without data)"
    return (
        f"全市目标完成情况 — published versions {versions} ({settings.published_path()})\n"
        f"{format_table(headers, cells)}\n\n"
        f"catalogue KPIs: {kpis}; KPI-years met {statuses['met']}, not met "
        f"{statuses['not_met']}, no data {statuses['no_data']}{hint}"
    )


COUNTY_COLUMNS = (
    ("assessment_year", "年度"),
    ("kpi_code", "kpi_code"),
    ("kpi_name", "指标"),
    ("scope_code", "代码"),
    ("scope_name", "县区"),
    ("target_value", "目标值"),
    ("actual_value", "实际值"),
    ("numerator", "分子"),
    ("denominator", "分母"),
    ("yoy_change", "同比"),
    ("status_label", "状态"),
)


def cmd_counties(args: argparse.Namespace) -> str:
    where: dict[str, object] = {"scope_type": "county"}
    if args.kpi:
        where["kpi_code"] = args.kpi
    with _published() as published:
        rows = published.rows("kpi_values", year=args.year or None, where=where)
    headers, cells = _columns(rows, COUNTY_COLUMNS)
    return f"各县(市、区)指标值 ({settings.published_path()})\n{format_table(headers, cells)}"


def _compact_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def cmd_publications(args: argparse.Namespace) -> str:
    with _published() as published:
        records = published.versions(args.year or None)
    headers = ["年度", "版本", "发布时间UTC", "对比版本", "行数", "输入文件"]
    headers += ["content", "inputs", "rubric", "dbt"]
    rows = [
        [
            r.assessment_year,
            r.version,
            r.published_at,
            r.previous_version,
            _compact_json(r.row_counts),
            r.input_files,
            *((digest or "")[:12] for digest in (r.content_sha256, r.input_files_sha256)),
            *((digest or "")[:12] for digest in (r.rubric_sha256, r.dbt_project_sha256)),
        ]
        for r in records
    ]
    return f"发布版本 ({settings.published_path()})\n{format_table(headers, rows)}"


def cmd_diff(args: argparse.Namespace) -> str:
    with _published() as published:
        try:
            diff = published.diff(args.year, args.version, first_rows=args.limit)
        except NotPublished:
            raise SystemExit(
                f"{args.year} has no published version"
                + (f" {args.version}" if args.version else "")
                + f" in {settings.published_path()}"
            ) from None
    return render_diff(diff, TABLE_NAMES)


def cmd_files(_: argparse.Namespace) -> str:
    headers, rows = _warehouse_query(
        """
        select feed, source_file, status, rows_read, rows_loaded, rows_quarantined,
               left(sha256, 12) as sha256, reason
        from raw.ingested_files
        union all
        -- known content received again: a receipt of its slot, without rows of its own
        select feed, source_file, 'repeated', 0, 0, 0, left(sha256, 12),
               'same content as ' || first_source_file
        from raw.repeated_deliveries
        order by feed, source_file""",
    )
    read, loaded, quarantined = (sum(r[i] for r in rows) for i in (3, 4, 5))
    rejected = sum(r[2] == "rejected" for r in rows)
    repeated = sum(r[2] == "repeated" for r in rows)
    return (
        f"{format_table(headers, rows)}\n\n{len(rows) - repeated} files ({rejected} rejected) "
        f"and {repeated} repeated deliveries: "
        f"rows read {read} = loaded {loaded} + quarantined {quarantined}"
    )


def cmd_quarantine(args: argparse.Namespace) -> str:
    headers, rows = _warehouse_query(
        """
        select source_file, source_row, reason from raw.quarantine
        order by source_file, source_row limit ?""",
        [args.limit],
    )
    return format_table(headers, rows)


def cmd_submissions(args: argparse.Namespace) -> str:
    filters, params = ["true"], []
    for column, value in (
        ("unit_code", args.unit),
        ("period_code", args.period),
        ("status", args.status),
    ):
        if value:
            filters.append(f"{column} = ?")
            params.append(value)
    headers, rows = _warehouse_query(
        f"""
        select period_code as 期间, unit_code as 单位, received_at as 接收时间, status as 状态,
               rows_read as 读取, rows_loaded as 入库, rows_quarantined as 隔离,
               left(sha256, 12) as sha256, source_file as 文件, reason as 问题
        from raw.submission_versions where {" and ".join(filters)}
        order by period_code, unit_code, received_at""",
        params,
    )
    counts = {s: sum(r[3] == s for r in rows) for s in ("accepted", "returned", "rejected")}
    summary = ", ".join(f"{k} {v}" for k, v in counts.items())
    return f"{format_table(headers, rows)}\n\n{len(rows)} workbooks: {summary}"


def cmd_templates(args: argparse.Namespace) -> str:
    # openpyxl is only needed by this command; the read commands stay quick to start.
    from orchestration.submissions.reporting import forms_for
    from orchestration.submissions.template_writer import write_templates

    try:
        forms = forms_for(args.year, args.period)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    out = args.out or settings.templates_dir()
    paths = write_templates(forms, out)
    periods = sorted({f.period.code for f in forms})
    return f"{len(paths)} templates ({', '.join(periods)}) in {out}"


def cmd_export(args: argparse.Namespace) -> str:
    from orchestration.export.workbook import export_workbook

    try:
        result = export_workbook(settings.published_path(), args.year, args.version, args.out)
    except NotPublished as error:
        raise SystemExit(str(error)) from None
    sheets = ", ".join(f"{name} {rows}" for name, rows in result.rows.items())
    return (
        f"{result.path} ({result.bytes:,} bytes): {result.year}年度, published version "
        f"{result.version}; rows per sheet: {sheets}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lq", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    kpis = sub.add_parser("kpis", help="city targets from the published file")
    kpis.add_argument("--year", type=int)
    kpis.add_argument("--all", action="store_true", help="include KPIs without data")
    kpis.set_defaults(run=cmd_kpis)
    counties = sub.add_parser("counties", help="KPI values per county from the published file")
    counties.add_argument("--year", type=int)
    counties.add_argument("--kpi", help="a kpi_code, e.g. MFG_PASS_RATE")
    counties.set_defaults(run=cmd_counties)
    publications = sub.add_parser("publications", help="published versions per year")
    publications.add_argument("--year", type=int)
    publications.set_defaults(run=cmd_publications)
    diff = sub.add_parser("diff", help="what a published version changed")
    diff.add_argument("--year", type=int, required=True)
    diff.add_argument("--version", type=int, help="default: the year's latest version")
    diff.add_argument("--limit", type=int, default=50, help="differences listed (default 50)")
    diff.set_defaults(run=cmd_diff)
    sub.add_parser("files", help="per-file reconciliation").set_defaults(run=cmd_files)
    quarantine = sub.add_parser("quarantine", help="quarantined rows")
    quarantine.add_argument("--limit", type=int, default=20)
    quarantine.set_defaults(run=cmd_quarantine)
    submissions = sub.add_parser("submissions", help="processed workbooks and their status")
    submissions.add_argument("--unit", help="unit code, e.g. SZJJ")
    submissions.add_argument("--period", help="period code, e.g. 2015Q1 or 2015Y")
    submissions.add_argument("--status", choices=["accepted", "returned", "rejected"])
    submissions.set_defaults(run=cmd_submissions)
    templates = sub.add_parser("templates", help="write blank submission templates")
    templates.add_argument("--year", type=int, required=True)
    templates.add_argument("--period", action="append", help="e.g. 2015Q1 (repeatable)")
    templates.add_argument("--out", type=Path, help="folder (default: warehouse/templates)")
    templates.set_defaults(run=cmd_templates)
    export = sub.add_parser("export", help="the year's assessment results as an Excel workbook")
    export.add_argument("--year", type=int, required=True, help="assessment year, e.g. 2016")
    export.add_argument("--version", type=int, help="publication version (default: the latest)")
    export.add_argument(
        "--out", type=Path, help="file (default: warehouse/published/exports/<name>.xlsx)"
    )
    export.set_defaults(run=cmd_export)
    args = parser.parse_args(argv)
    print(args.run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
