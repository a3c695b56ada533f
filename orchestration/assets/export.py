"""The bureau's Excel workbooks, written from the published file (never the warehouse)."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration import settings
from orchestration.export.workbook import ExportResult, export_workbook
from orchestration.publication.reader import published_years

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


@asset(
    key=EXPORT_KEY,
    deps=[AssetKey(["published", "assessment"])],
    group_name="publication",
    kinds={"excel"},
    description="考核结果 workbook for the statistics bureau, one per assessment year of the "
    "latest publication (全市目标完成情况, 县(市、区)考核得分, 市直部门考核得分, 考核得分明细), "
    "in government-form layout; read from the published file only, so it takes no DuckDB pool.",
)
def assessment_workbook(context: AssetExecutionContext) -> MaterializeResult:
    # Every year in one run; partitioning by year later is one export_workbook per partition.
    published = settings.published_path()
    results = [export_workbook(published, year) for year in published_years(published)]
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
