"""Submissions in Dagster: the templates sent out, and the intake of filled workbooks.

The intake runs two ways: the sensor starts one run per new file (run key = content hash),
and the scheduled refresh processes whatever is still new in bulk. Both call the same code
and skip content already processed, so a file is loaded once however it arrives."""

import os
import time
from collections.abc import Iterator
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    Config,
    DataVersion,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)
from dagster_duckdb import DuckDBResource
from pydantic import Field

from orchestration import settings
from orchestration.defs.resources import DUCKDB_POOL
from orchestration.defs.transform.changes import fingerprints
from orchestration.reference import project_var
from orchestration.submissions.intake import SubmissionReport, process_files, process_landed
from orchestration.submissions.reporting import forms_for
from orchestration.submissions.store import SUBMISSION_TABLES
from orchestration.submissions.template_writer import write_templates

SUBMISSIONS_GROUP = "submissions"
INTAKE_OP = "raw_submissions"
SUBMISSION_KEYS = tuple(AssetKey(table.split(".")) for table in SUBMISSION_TABLES)
TEMPLATE_KEY = AssetKey(["submissions", "templates"])
PLAN_YEAR = int(str(project_var("plan_year")))
REPORT_SAMPLE = 40  # files listed in the run's metadata


_HEX = "hex:"


def config_name(relative: str) -> str:
    """A landed path as run config and tags can store it: names that are not valid UTF-8
    (a GBK name on a UTF-8 file system) travel as hex of their bytes."""
    try:
        relative.encode("utf-8")
        return relative
    except UnicodeEncodeError:
        return _HEX + os.fsencode(relative).hex()


def landed_path(raw_dir: Path, name: str) -> Path:
    if name.startswith(_HEX):
        return raw_dir / os.fsdecode(bytes.fromhex(name.removeprefix(_HEX)))
    return raw_dir / name


class IntakeConfig(Config):
    files: list[str] = Field(
        default_factory=list,
        description="Paths under the landing zone to process (the sensor sets one); "
        "empty means every ready file in raw/submissions/.",
    )


class TemplatesConfig(Config):
    year: int = Field(default=PLAN_YEAR, description="Assessment year of the templates.")
    periods: list[str] = Field(
        default_factory=list, description="Period codes such as 2015Q1; empty means all five."
    )


def _reports_markdown(reports: list[SubmissionReport]) -> str:
    lines = [
        "| file | status | unit | period | read | loaded | quarantined | first problem |",
        "|---|---|---|---|---:|---:|---:|---|",
    ]
    shown = [r for r in reports if r.status != "already_ingested"]
    for r in shown[:REPORT_SAMPLE]:
        first = (r.problems[0] if r.problems else "").replace("|", "/")
        lines.append(
            f"| {r.source_file} | {r.status} | {r.unit_code or ''} | {r.period_code or ''} "
            f"| {r.rows_read} | {r.rows_loaded} | {r.rows_quarantined} | {first} |"
        )
    if len(shown) > REPORT_SAMPLE:
        lines.append(f"\n{len(shown) - REPORT_SAMPLE} more: `lq submissions` lists them all.")
    return "\n".join(lines)


@multi_asset(
    name=INTAKE_OP,
    specs=[
        AssetSpec(
            key,
            group_name="ingestion",
            kinds={"python", "duckdb", "excel"},
            description=f"{key.path[-1]}: written by the submission intake "
            "(docs/feeds/submissions.md); all four tables in one transaction per workbook.",
        )
        for key in SUBMISSION_KEYS
    ],
    pool=DUCKDB_POOL,
)
def raw_submissions(
    context: AssetExecutionContext, config: IntakeConfig, duckdb: DuckDBResource
) -> Iterator[MaterializeResult]:
    """Validated department and county workbooks from raw/submissions/ (报送表)."""
    raw_dir = settings.raw_dir()
    with duckdb.get_connection() as conn:
        if config.files:
            paths = [landed_path(raw_dir, name) for name in config.files]
            missing = [p for p in paths if not p.is_file() or p.is_symlink()]
            if missing:
                context.log.warning(f"no longer in the landing zone: {missing}")
            paths = [p for p in paths if p not in missing]
            reports = process_files(
                conn, paths, raw_dir, settings.file_store_dir(), settings.feedback_dir()
            )
            symlinks = settling = 0
        else:
            reports, symlinks, settling = process_landed(
                conn,
                raw_dir,
                settings.file_store_dir(),
                settings.feedback_dir(),
                settings.settle_seconds(),
            )
        # Each table's fingerprint is its data version: unchanged when nothing new was read.
        versions = fingerprints(conn, SUBMISSION_TABLES)
    new = [r for r in reports if r.status in ("accepted", "returned", "rejected")]
    for r in new:
        if r.status != "accepted":
            context.log.warning(f"{r.source_file}: {r.status}: {'; '.join(r.problems[:3])}")
    metadata = {
        "summary": f"{len(new)} new workbook(s)" if new else "no new workbooks",
        "files_new": len(new),
        "files_accepted": sum(r.status == "accepted" for r in new),
        "files_returned": sum(r.status == "returned" for r in new),
        "files_rejected": sum(r.status == "rejected" for r in new),
        "files_already_ingested": sum(r.status == "already_ingested" for r in reports),
        "files_settling": settling,
        "symlinks_ignored": symlinks,
        "rows_read": sum(r.rows_read for r in new),
        "rows_loaded": sum(r.rows_loaded for r in new),
        "rows_quarantined": sum(r.rows_quarantined for r in new),
        "feedback_dir": MetadataValue.path(str(settings.feedback_dir())),
        "files": MetadataValue.md(_reports_markdown(reports)),
    }
    failed = [r for r in reports if r.status == "failed"]
    if failed:
        # An internal error leaves the file unprocessed; the next run retries it.
        raise Failure(
            description="; ".join(f"{r.source_file}: {r.problems[0]}" for r in failed),
            metadata=metadata,
        )
    # The four tables are written together, one transaction per workbook.
    for key, table in zip(SUBMISSION_KEYS, SUBMISSION_TABLES, strict=True):
        yield MaterializeResult(
            asset_key=key,
            metadata=metadata
            if key == SUBMISSION_KEYS[0]
            else {"written_with": SUBMISSION_KEYS[0].to_user_string()},
            data_version=DataVersion(versions[table]),
        )


@asset(
    key=TEMPLATE_KEY,
    group_name=SUBMISSIONS_GROUP,
    kinds={"python", "excel"},
    description="Blank 报送表 templates, one .xlsx per reporting unit and period, pre-filled "
    "with exactly that unit's tasks and metrics (written to warehouse/templates/).",
)
def submission_templates(
    context: AssetExecutionContext, config: TemplatesConfig
) -> MaterializeResult:
    try:
        forms = forms_for(config.year, config.periods)
    except ValueError as error:
        raise Failure(description=str(error)) from error
    started = time.perf_counter()
    paths = write_templates(forms, settings.templates_dir())
    seconds = time.perf_counter() - started
    context.log.info(f"{len(paths)} templates in {seconds:.1f}s")
    return MaterializeResult(
        metadata={
            "templates": len(paths),
            "units": len({f.unit_code for f in forms}),
            "periods": MetadataValue.text(", ".join(sorted({f.period.code for f in forms}))),
            "folder": MetadataValue.path(str(settings.templates_dir())),
            "seconds": round(seconds, 2),
        }
    )
