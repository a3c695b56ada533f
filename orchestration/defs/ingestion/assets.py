"""One ingestion asset per feed, all built by the same factory from the feed's contract."""

import warnings

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    BetaWarning,
    DataVersion,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource

from orchestration import settings
from orchestration.crash_points import crash_point
from orchestration.defs.resources import DUCKDB_POOL
from orchestration.defs.transform.changes import fingerprints
from orchestration.ingest.contract import load_contract
from orchestration.ingest.delivery import layout
from orchestration.ingest.loader import FileReport, ingest_landed
from orchestration.partitions import DELIVERY_MONTHS, selected_months

# BackfillPolicy is marked beta; single-run backfills are what keeps one writer per range.
warnings.filterwarnings("ignore", category=BetaWarning, message=".*backfill_policy.*")

INGESTION_GROUP = "ingestion"
QUARANTINE_SAMPLE = 25  # rows of quarantine shown in the UI per materialisation
# Bookkeeping tables every ingestion asset writes (dbt sources raw.ingested_files, raw.quarantine).
INGESTION_LOG_KEYS = (AssetKey(["raw", "ingested_files"]), AssetKey(["raw", "quarantine"]))


def _reconciliation_markdown(reports: list[FileReport]) -> str:
    lines = [
        "| file | status | read | loaded | quarantined | reason |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in reports:
        if r.status == "already_ingested" and not r.reason:  # a renamed copy is said
            continue
        lines.append(
            f"| {r.source_file} | {r.status} | {r.rows_read} | {r.rows_loaded} "
            f"| {r.rows_quarantined} | {(r.reason or '').replace('|', '/')} |"
        )
    return "\n".join(lines)


def _quarantine_markdown(rows: list[tuple[str, int, str]]) -> str:
    lines = ["| file | row | reason |", "|---|---:|---|"]
    lines += [f"| {f} | {n} | {reason.replace('|', '/')} |" for f, n, reason in rows]
    if len(rows) == QUARANTINE_SAMPLE:
        lines.append(
            f"\nFirst {QUARANTINE_SAMPLE} shown; all of them: `lq quarantine` or raw.quarantine."
        )
    return "\n".join(lines)


def build_ingestion_asset(feed: str) -> AssetsDefinition:
    contract = load_contract(feed)

    @asset(
        key=AssetKey(["raw", feed]),
        group_name=INGESTION_GROUP,
        pool=DUCKDB_POOL,
        kinds={"python", "duckdb"},
        partitions_def=DELIVERY_MONTHS,
        # A backfill over many months is one run, one writer, one pass over the landing zone.
        backfill_policy=BackfillPolicy.single_run(),
        description=(
            f"{contract.title}: loads new files from raw/{layout(contract)} into "
            f"{contract.table} (contract docs/feeds/{feed}.md). Partitioned by the month a "
            "delivery covers; an unpartitioned run (refresh_all) takes every month. Files "
            "already ingested (same sha256) are skipped, or recorded as a repeated delivery "
            "when they land in another slot; bad rows go to raw.quarantine with "
            "their reason; a later file for the same folder is a corrected re-delivery. "
            "Symbolic links are never read and files modified in the last LQ_SETTLE_SECONDS "
            "wait for the next run (both counted in the metadata)."
        ),
    )
    def _ingest(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
        settle_seconds = settings.settle_seconds()
        months = selected_months(context)
        with duckdb.get_connection() as conn:
            landed = ingest_landed(
                conn,
                contract,
                settings.raw_dir(),
                settings.file_store_dir(),
                settle_seconds,
                months,
            )
            reports = landed.reports
            crash_point("ingestion:after_load")
            table_rows = conn.execute(f"select count(*) from {contract.table}").fetchall()[0][0]
            data_version = fingerprints(conn, [contract.table])[contract.table]
            (last_ingested,) = conn.execute(
                "select max(ingested_at) from raw.ingested_files where feed = ?", [feed]
            ).fetchone()  # type: ignore[misc]
            new = [r for r in reports if r.status in ("loaded", "rejected")]
            repeated = [r for r in reports if r.status == "repeated"]
            quarantined = conn.execute(
                "select source_file, source_row, reason from raw.quarantine "
                "where feed = ? and source_sha256 in (select unnest(?)) "
                "order by source_file, source_row limit ?",
                [feed, [r.sha256 for r in new], QUARANTINE_SAMPLE],
            ).fetchall()
        for r in new:
            if r.status == "rejected":
                context.log.warning(f"rejected {r.source_file}: {r.reason}")
            elif r.rows_quarantined:
                context.log.warning(f"{r.source_file}: {r.rows_quarantined} rows quarantined")
        for r in repeated:
            context.log.warning(f"repeated delivery {r.source_file}: {r.reason}")
        if landed.symlinks_ignored:
            context.log.warning(
                f"{landed.symlinks_ignored} symbolic link(s) in raw/{contract.landing_dir}/ "
                "ignored: copy the file itself into the landing folder"
            )
        for name, why in landed.misplaced:
            context.log.warning(f"{name} not read: {why}")
        if landed.files_settling:
            context.log.info(
                f"{landed.files_settling} file(s) modified in the last "
                f"{settle_seconds:g} s left for the next run"
            )
        failed = [r for r in reports if r.status == "failed"]
        metadata = {
            "summary": _summary(new, last_ingested),
            "months": ", ".join(sorted(months)) if months else "all",
            "files_new": len(new),
            "files_already_ingested": sum(r.status == "already_ingested" for r in reports),
            "files_rejected": sum(r.status == "rejected" for r in reports),
            "files_repeated": len(repeated),
            "symlinks_ignored": landed.symlinks_ignored,
            "files_settling": landed.files_settling,
            "files_misplaced": len(landed.misplaced),
            "rows_read": sum(r.rows_read for r in new),
            "rows_loaded": sum(r.rows_loaded for r in new),
            "rows_quarantined": sum(r.rows_quarantined for r in new),
            "table_rows": int(table_rows),
            "reconciliation": MetadataValue.md(_reconciliation_markdown(new + repeated)),
            "quarantine_sample": MetadataValue.md(_quarantine_markdown(quarantined)),
        }
        if landed.misplaced:
            metadata["misplaced"] = MetadataValue.md(
                "\n".join(f"- {name}: {why}" for name, why in landed.misplaced)
            )
        if failed:
            # Files that hit an internal error stay un-ingested and are retried next run.
            raise Failure(
                description="; ".join(f"{r.source_file}: {r.reason}" for r in failed),
                metadata=metadata,
            )
        # The data version is the raw table's fingerprint: unchanged when nothing new was
        # loaded, so nothing downstream counts as changed (defs/transform/changes.py).
        return MaterializeResult(metadata=metadata, data_version=DataVersion(data_version))

    return _ingest


def _summary(new: list[FileReport], last_ingested: object) -> str:
    if new:
        loaded = sum(r.status == "loaded" for r in new)
        return f"{loaded} new delivery file(s) loaded, {len(new) - loaded} rejected"
    since = f" since {last_ingested:%Y-%m-%d %H:%M:%S}" if last_ingested else " yet"
    return f"no new deliveries{since} (UTC)"


def ingestion_log_specs(writers: list[AssetKey]) -> list[AssetSpec]:
    """raw.ingested_files and raw.quarantine: written by every ingestion asset (`writers`) in
    the same transaction as the rows they describe; declared for lineage, never materialised
    alone."""
    descriptions = {
        "ingested_files": "文件接收对账: one row per delivered file and feed, with its counts.",
        "quarantine": "隔离区: rows that broke their feed's contract, with the reason and cell.",
    }
    return [
        AssetSpec(
            key=key,
            group_name=INGESTION_GROUP,
            deps=writers,
            description=descriptions[key.path[-1]],
        )
        for key in INGESTION_LOG_KEYS
    ]
