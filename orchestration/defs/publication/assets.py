"""The published assessment: what the statistics bureau and auditors read.

Two assets publish into the same file, one way each (orchestration/publication/versions.py):

* `published/assessment_by_year` — partitioned by 考核年度 (ASSESSMENT_YEARS): one partition
  is one year's publication. Job `publish_assessment`, the January schedule and backfills.
* `published/assessment` — unpartitioned, in `refresh_all`: every assessment year of the
  warehouse in one pass, published by the warehouse step right after the models it reads, so
  a run stopped in between publishes on the next run (publication_pending). A Dagster job
  holds one partitioning only, and `refresh_all` carries the monthly delivery partitions, so
  the yearly asset cannot be in it.

Both read the marts behind the quality gates; both are in pool `duckdb`, so they never write
the published file at the same time (versions.py also takes a file lock)."""

from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    AssetSpec,
    BackfillPolicy,
    DagsterInstance,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource

from orchestration import settings
from orchestration.defs.resources import DUCKDB_POOL
from orchestration.defs.transform.manifest import model_key
from orchestration.partitions import ASSESSMENT_YEARS
from orchestration.publication.diff import diff_markdown
from orchestration.publication.tables import PUBLISHED_TABLES, TABLE_NAMES
from orchestration.publication.versions import YearPublication, publish_years

PUBLISHED_KEY = AssetKey(["published", "assessment"])
PUBLISHED_BY_YEAR_KEY = AssetKey(["published", "assessment_by_year"])
PUBLISHED_MARTS = [model_key(t.source.split(".")[-1]) for t in PUBLISHED_TABLES]
_TABLES_TEXT = ", ".join(TABLE_NAMES)


def _publish(context: AssetExecutionContext, warehouse: Path, years: list[int] | None):
    published = settings.published_path()
    results = publish_years(warehouse, published, years)
    for r in results:
        state = "published" if r.created else "unchanged"
        context.log.info(f"{r.assessment_year}: version {r.version} {state}")
    return MaterializeResult(metadata=_metadata(results, published))


def _metadata(results: list[YearPublication], published: Path) -> dict[str, object]:
    import duckdb

    rows = [
        f"| {r.assessment_year} | {r.version} | {'new' if r.created else 'unchanged'} | "
        + " | ".join(str(r.rows[n]) for n in TABLE_NAMES)
        + f" | `{r.content_sha256[:12]}` |"
        for r in results
    ]
    summary = "\n".join(
        [
            f"| year | version | | {' | '.join(TABLE_NAMES)} | content |",
            "|---|---:|---|" + "---:|" * len(TABLE_NAMES) + "---|",
            *rows,
        ]
    )
    with duckdb.connect(str(published), read_only=True) as conn:
        diffs = [
            diff_markdown(conn, r.assessment_year, r.version, TABLE_NAMES)
            for r in results
            if r.created and r.version > 1
        ]
    return {
        "years": MetadataValue.json([r.assessment_year for r in results]),
        "versions_by_year": MetadataValue.json(
            {str(r.assessment_year): r.version for r in results}
        ),
        "new_versions": MetadataValue.json(
            {str(r.assessment_year): r.version for r in results if r.created}
        ),
        "versions": MetadataValue.md(summary),
        "diff": MetadataValue.md("\n\n".join(diffs) or "No new version replaces an earlier one."),
        "path": MetadataValue.path(str(published)),
        "parquet": MetadataValue.path(str(published.parent / "parquet")),
    }


@asset(
    key=PUBLISHED_BY_YEAR_KEY,
    deps=PUBLISHED_MARTS,
    partitions_def=ASSESSMENT_YEARS,
    # a range of years is one run: the marts are built once, every year published in one file
    backfill_policy=BackfillPolicy.single_run(),
    group_name="publication",
    pool=DUCKDB_POOL,
    kinds={"duckdb", "parquet"},
    description=f"考核年度 (one partition a year): the year's {_TABLES_TEXT} published as a new "
    "immutable version into the bureau's read-only file (LQ_PUBLISHED) and Parquet when they "
    "differ from the year's latest version, with a row-level diff against it.",
)
def published_assessment_by_year(
    context: AssetExecutionContext, duckdb: DuckDBResource
) -> MaterializeResult:
    # an unpartitioned run (no partition chosen) publishes every year, as refresh_all does
    years = (
        [int(k) for k in context.partition_keys]
        if context.has_partition_key or context.has_partition_key_range
        else None
    )
    return _publish(context, Path(duckdb.database), years)


PUBLISHED_SPEC = AssetSpec(
    PUBLISHED_KEY,
    deps=PUBLISHED_MARTS,
    group_name="publication",
    kinds={"duckdb", "parquet"},
    description=f"考核结果发布: every assessment year of the warehouse in one pass "
    f"({_TABLES_TEXT}), as refresh_all's last step (in the warehouse step, "
    "defs/transform/assets.py): a year whose rows changed gets a new immutable version (with a "
    "diff), an unchanged year nothing.",
)


def publication_pending(instance: DagsterInstance) -> bool:
    """True when a published mart was materialised after the last publication (a run that
    stopped between the two), or nothing was ever published."""
    latest = instance.get_latest_materialization_events([PUBLISHED_KEY, *PUBLISHED_MARTS])
    published = latest.get(PUBLISHED_KEY)
    if published is None:
        return True
    return any(
        event is not None and event.timestamp > published.timestamp
        for key, event in latest.items()
        if key != PUBLISHED_KEY
    )


def publish_every_year(context: AssetExecutionContext, warehouse: Path) -> MaterializeResult:
    """Publish every year of the warehouse; the yearly asset's partitions record the same
    versions (a year in progress is no partition yet)."""
    result = _publish(context, warehouse, None)
    partitions = set(ASSESSMENT_YEARS.get_partition_keys())
    versions = result.metadata["versions_by_year"].value
    for year, version in versions.items():
        if year in partitions:
            context.log_event(
                AssetMaterialization(
                    asset_key=PUBLISHED_BY_YEAR_KEY,
                    partition=year,
                    metadata={"version": version, "published_by": "refresh_all"},
                )
            )
    return result
