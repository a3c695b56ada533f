"""`lq`: read the platform's results from the command line.

lq kpis [--year 2015] [--all]   city targets from the published file (read-only)
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
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import duckdb

from orchestration import settings


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


def _query(path: Path, sql: str, params: Sequence[object] = ()) -> tuple[list[str], list[tuple]]:
    if not path.exists():
        raise SystemExit(f"{path} does not exist yet: run the pipeline first (scripts/demo.sh)")
    with duckdb.connect(str(path), read_only=True) as conn:
        cursor = conn.execute(sql, list(params))
        rows = cursor.fetchall()
        return [d[0] for d in cursor.description], rows


def cmd_kpis(args: argparse.Namespace) -> str:
    published = settings.published_path()
    filters = [] if args.all else ["actual_value is not null"]
    if args.year:
        filters.append(f"assessment_year = {int(args.year)}")
    where = f"where {' and '.join(filters)}" if filters else ""
    headers, rows = _query(
        published,
        f"""
        select assessment_year as 年度, kpi_code, kpi_name as 指标, comparator as 比较,
               target_value as 目标值, actual_value as 实际值, unit as 单位,
               numerator as 分子, denominator as 分母, status_label as 状态
        from city_targets_latest {where}
        order by assessment_year, kpi_code""",
    )
    _, summary = _query(
        published,
        """
        select (select string_agg(assessment_year || ' v' || version, ', '
                                  order by assessment_year)
                from (select assessment_year, max(version) as version
                      from publications group by assessment_year)),
               count(distinct kpi_code),
               count(*) filter (where status = 'met'), count(*) filter (where status = 'not_met'),
               count(*) filter (where status = 'no_data')
        from city_targets_latest""",
    )
    versions, kpis, met, not_met, no_data = summary[0]
    hint = "" if args.all else " (--all lists the KPIs without data)"
    return (
        f"全市目标完成情况 — published versions {versions} ({published})\n"
        f"{format_table(headers, rows)}\n\n"
        f"catalogue KPIs: {kpis}; KPI-years met {met}, not met {not_met}, no data {no_data}{hint}"
    )


def cmd_counties(args: argparse.Namespace) -> str:
    filters = ["scope_type = 'county'"]
    params: list[object] = []
    if args.year:
        filters.append("assessment_year = ?")
        params.append(args.year)
    if args.kpi:
        filters.append("kpi_code = ?")
        params.append(args.kpi)
    headers, rows = _query(
        settings.published_path(),
        f"""
        select assessment_year as 年度, kpi_code, kpi_name as 指标, scope_code as 代码,
               scope_name as 县区, target_value as 目标值, actual_value as 实际值,
               numerator as 分子, denominator as 分母, yoy_change as 同比, status_label as 状态
        from kpi_values_latest where {" and ".join(filters)}
        order by assessment_year, kpi_code, scope_code""",
        params,
    )
    return f"各县(市、区)指标值 ({settings.published_path()})\n{format_table(headers, rows)}"


def cmd_publications(args: argparse.Namespace) -> str:
    where, params = ("where assessment_year = ?", [args.year]) if args.year else ("", [])
    headers, rows = _query(
        settings.published_path(),
        f"""
        select assessment_year as 年度, version as 版本, published_at as 发布时间UTC,
               previous_version as 对比版本, row_counts as 行数, input_files as 输入文件,
               left(content_sha256, 12) as content, left(input_files_sha256, 12) as inputs,
               left(rubric_sha256, 12) as rubric, left(dbt_project_sha256, 12) as dbt
        from publications {where} order by assessment_year, version""",
        params,
    )
    return f"发布版本 ({settings.published_path()})\n{format_table(headers, rows)}"


def cmd_diff(args: argparse.Namespace) -> str:
    from orchestration.publication.diff import diff_markdown
    from orchestration.publication.tables import TABLE_NAMES

    published = settings.published_path()
    _, latest = _query(
        published, "select max(version) from publications where assessment_year = ?", [args.year]
    )
    version = args.version or latest[0][0]
    if version is None:
        raise SystemExit(f"{args.year} has no published version in {published}")
    with duckdb.connect(str(published), read_only=True) as conn:
        return diff_markdown(conn, args.year, version, TABLE_NAMES, first_rows=args.limit)


def cmd_files(_: argparse.Namespace) -> str:
    headers, rows = _query(
        settings.warehouse_path(),
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
    headers, rows = _query(
        settings.warehouse_path(),
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
    headers, rows = _query(
        settings.warehouse_path(),
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
    from orchestration.export.published import ExportError
    from orchestration.export.workbook import export_workbook

    try:
        result = export_workbook(settings.published_path(), args.year, args.version, args.out)
    except ExportError as error:
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
