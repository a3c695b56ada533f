"""The published assessment: what the statistics bureau and auditors read."""

from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from orchestration import settings
from orchestration.assets.dbt_models import model_key
from orchestration.publish import PUBLISHED_TABLES, publish
from orchestration.resources import DUCKDB_POOL


@asset(
    key=AssetKey(["published", "assessment"]),
    deps=[model_key(source.removeprefix("marts.")) for source in PUBLISHED_TABLES],
    group_name="publication",
    pool=DUCKDB_POOL,
    kinds={"duckdb"},
    description="全市目标完成情况 (city_targets), KPI values per county (kpi_values) and the "
    "assessment scorecards (county_scorecard, unit_scorecard, assessment_items), published "
    "as an immutable version into the bureau's read-only file (LQ_PUBLISHED). Unchanged content "
    "publishes nothing new.",
)
def published_assessment(
    context: AssetExecutionContext, duckdb: DuckDBResource
) -> MaterializeResult:
    result = publish(Path(duckdb.database), settings.published_path())
    context.log.info(f"version {result.version} {'published' if result.created else 'unchanged'}")
    return MaterializeResult(
        metadata={
            "version": result.version,
            "new_version": result.created,
            "content_sha256": result.content_sha256,
            "inputs_sha256": result.inputs_sha256,
            "rows": MetadataValue.json(result.rows),
            "path": MetadataValue.path(str(result.path)),
        }
    )
