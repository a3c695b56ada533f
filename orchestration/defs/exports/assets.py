"""The bureau's Excel workbooks, written from the published file (never the warehouse)."""

from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue

from orchestration import settings
from orchestration.defs.publication.assets import PUBLISHED_KEY
from orchestration.export.workbook import ExportResult, export_path, export_workbook
from orchestration.publication.reader import open_published

EXPORT_KEY = AssetKey(["exports", "assessment_workbook"])


def _table(results: list[ExportResult]) -> str:
    lines = ["| 年度 | version | file | bytes | rows per sheet |", "|---|---:|---|---:|---|"]
    lines += [
        f"| {r.year} | {r.version} | {r.path.name} | {r.bytes:,} | "
        + ", ".join(f"{sheet} {n}" for sheet, n in r.rows.items())
        + " |"
        for r in results
    ]
    return "\n".join(lines)


EXPORT_SPEC = AssetSpec(
    EXPORT_KEY,
    deps=[PUBLISHED_KEY],
    group_name="publication",
    kinds={"excel"},
    description="考核结果 workbook for the statistics bureau, one per assessment year of the "
    "latest publication (全市目标完成情况, 县(市、区)考核得分, 市直部门考核得分, 考核得分明细), "
    "in government-form layout; read from the published file only. Written by the warehouse "
    "step after each publication, and for any published version still without its workbook.",
)


def pending_years(published: Path) -> list[int]:
    """Years whose latest published version has no workbook yet."""
    if not published.exists():
        return []
    with open_published(published) as reader:
        latest = reader.latest_versions()
    return [
        year
        for year, record in sorted(latest.items())
        if not export_path(settings.exports_dir(), year, record.version).exists()
    ]


def export_years(context: AssetExecutionContext, years: list[int]) -> MaterializeResult:
    published = settings.published_path()
    results = [export_workbook(published, year) for year in years]
    for result in results:
        context.log.info(f"{result.path}: {result.bytes:,} bytes")
    return MaterializeResult(
        metadata={
            "paths": MetadataValue.json([str(r.path) for r in results]),
            "bytes": sum(r.bytes for r in results),
            "sheets": MetadataValue.json(list(results[0].rows) if results else []),
            "rows": MetadataValue.json({str(r.year): r.rows for r in results}),
            "workbooks": MetadataValue.md(_table(results)),
        }
    )
