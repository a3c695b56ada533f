"""Great Expectations 1.x suites as blocking Dagster asset checks.

dagster-ge targets GX < 1.0, so the integration is ours: the check reads the staged table
read-only, validates it with the suite file from expectations/, and reports every
expectation's outcome as check metadata for auditors. blocking=True stops downstream assets
(the assessment marts) in the same run when the suite fails."""

from pathlib import Path

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    MetadataValue,
    asset_check,
)
from dagster_duckdb import DuckDBResource

from orchestration.assets.dbt_models import model_key

# GX itself is imported lazily inside this module (≈ 2.3 s): only the validating step pays.
from orchestration.quality.gx_validation import (
    SuiteOutcome,
    outcome_markdown,
    validate_duckdb_table,
)
from orchestration.resources import DUCKDB_POOL
from orchestration.settings import EXPECTATIONS_DIR


def _outcome_metadata(outcome: SuiteOutcome) -> dict[str, object]:
    metadata: dict[str, object] = {
        "suite": outcome.suite_name,
        "rows_validated": outcome.row_count,
        "expectations_evaluated": outcome.evaluated,
        "expectations_failed": outcome.failed,
        "validation_seconds": round(outcome.seconds, 3),
        "report": MetadataValue.md(outcome_markdown(outcome)),
    }
    for result in outcome.outcomes:
        label = result.expectation_type + (f"[{result.column}]" if result.column else "")
        text = "passed" if result.success else "FAILED"
        if result.unexpected_count:
            text += f", {result.unexpected_count} unexpected"
        if result.sample_unexpected:
            text += f", e.g. {', '.join(result.sample_unexpected[:5])}"
        if result.observed_value is not None and not result.success:
            text += f", observed {result.observed_value}"
        metadata[label] = text
    return metadata


def build_gx_check(model_name: str, table: str, suite_file: str) -> AssetChecksDefinition:
    suite_path = EXPECTATIONS_DIR / suite_file

    @asset_check(
        asset=model_key(model_name),
        name=f"gx_{Path(suite_file).stem}",
        blocking=True,
        pool=DUCKDB_POOL,
        description=f"Great Expectations suite expectations/{suite_file} on {table}; "
        "a failure blocks the assessment tables built from it.",
    )
    def _gx_check(context: AssetCheckExecutionContext, duckdb: DuckDBResource) -> AssetCheckResult:
        outcome = validate_duckdb_table(Path(duckdb.database), table, suite_path)
        if not outcome.success:
            context.log.error(f"{suite_file}: {outcome.failed} of {outcome.evaluated} failed")
        return AssetCheckResult(
            passed=outcome.success,
            severity=AssetCheckSeverity.ERROR,
            metadata=_outcome_metadata(outcome),
        )

    return _gx_check


def discover_suites(expectations_dir: Path = EXPECTATIONS_DIR) -> list[str]:
    """Suite files in expectations/: each is named after the staging model it gates, so a new
    feed's gate is a new JSON file, not code."""
    return sorted(path.name for path in expectations_dir.glob("stg_*.json"))


GX_CHECKS = [
    build_gx_check(Path(suite).stem, f"staging.{Path(suite).stem}", suite)
    for suite in discover_suites()
]
