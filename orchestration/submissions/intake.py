"""Process delivered workbooks: keep the file as delivered, parse it, load its good rows
and quarantine its bad ones in one transaction, and write the unit's feedback report.

A file is processed once per content (sha256), whatever its name or how often it is
dropped. Status of a version: accepted (no problem at all), returned (退回: some problem, the
unit must correct and resubmit; its good rows are kept but do not count) or rejected (not a
submission workbook; nothing read). For every file rows_read = rows_loaded + quarantined."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from orchestration.ingest import file_store
from orchestration.ingest.file_names import display_path
from orchestration.ingest.loader import (
    already_ingested,
    insert_batch,
    quarantine_record,
    record_file,
)
from orchestration.ingest.readers import FileRejected
from orchestration.submissions import feedback
from orchestration.submissions.landing import received_at, scan
from orchestration.submissions.parse_workbook import (
    HistoryLookup,
    NotASubmission,
    ParsedSubmission,
    Problem,
    parse_submission,
)
from orchestration.submissions.reporting import SUBMISSIONS_FEED, UnitForm, period
from orchestration.submissions.store import ensure_submission_tables

_DATA_TABLES = {
    "封面": "raw.submission_covers",
    "任务进展": "raw.submission_task_progress",
    "指标填报": "raw.submission_metric_values",
}


@dataclass(frozen=True)
class SubmissionReport:
    source_file: str
    sha256: str
    status: str  # accepted | returned | rejected | already_ingested | failed
    unit_code: str | None
    period_code: str | None
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    problems: tuple[str, ...]
    feedback_path: str | None
    seconds: float


def accepted_history(conn: duckdb.DuckDBPyConnection) -> HistoryLookup:
    """The unit's latest accepted value of each KPI in a comparable period: the same kind of
    period (Q1 with Q1, 年度总结 with 年度总结: counts are cumulative within the year) of this
    or an earlier year, the latest year first, then the latest received."""

    def lookup(form: UnitForm) -> dict[str, tuple[float, str]]:
        rows = conn.execute(
            """
            select m.kpi_code, m.value, m.period_code
            from raw.submission_metric_values as m
            inner join raw.submission_versions as v on m._source_sha256 = v.sha256
            where v.status = 'accepted' and m.unit_code = ? and m.value is not null
                and m.period_code like ? and m.period_code <= ?
            qualify row_number() over (
                partition by m.kpi_code order by m.period_code desc, v.received_at desc
            ) = 1
            """,
            [form.unit_code, f"____{form.period.kind}", form.period.code],
        ).fetchall()
        return {kpi: (float(value), period(code).label) for kpi, value, code in rows}

    return lookup


def _write_rows(
    conn: duckdb.DuckDBPyConnection,
    parsed: ParsedSubmission,
    lineage: dict[str, Any],
) -> None:
    keys = {"unit_code": parsed.form.unit_code, "period_code": parsed.form.period.code}
    by_table: dict[str, list[dict[str, Any]]] = {}
    quarantined: list[dict[str, Any]] = []
    for row in parsed.rows:
        if row.ok:
            by_table.setdefault(_DATA_TABLES[row.sheet], []).append(
                {
                    **keys,
                    **row.values,
                    **lineage,
                    "_source_sheet": row.sheet,
                    "_source_row": row.row_number,
                    "_raw_record": row.delivered_json(),
                }
            )
        else:
            quarantined.append(
                quarantine_record(
                    SUBMISSIONS_FEED,
                    lineage,
                    row.sheet,
                    row.row_number,
                    [p.as_dict() for p in row.problems],
                    "; ".join(p.text for p in row.problems),
                    row.delivered_json(),
                )
            )
    for table, rows in by_table.items():
        insert_batch(conn, table, pa.Table.from_pylist(rows))
    insert_batch(conn, "raw.quarantine", pa.Table.from_pylist(quarantined))


def process_file(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    raw_dir: Path,
    store_dir: Path,
    feedback_dir: Path,
) -> SubmissionReport:
    """Process one landed workbook. Never raises for bad content: the report says why."""
    started = time.perf_counter()
    source_file = display_path(path.relative_to(raw_dir).as_posix())
    arrived = received_at(path)
    sha256 = file_store.sha256_of(path)
    if already_ingested(conn, SUBMISSIONS_FEED, sha256):
        return SubmissionReport(
            source_file, sha256, "already_ingested", None, None, 0, 0, 0, (), None, 0.0
        )
    # From here on only the stored copy is read: what is parsed is what the hash names.
    sha256, stored = file_store.keep(path, store_dir)
    if already_ingested(conn, SUBMISSIONS_FEED, sha256):
        return SubmissionReport(
            source_file, sha256, "already_ingested", None, None, 0, 0, 0, (), None, 0.0
        )
    parsed: ParsedSubmission | None = None
    rejection: Problem | None = None
    try:
        parsed = parse_submission(stored, arrived.date(), accepted_history(conn))
    except NotASubmission as error:
        rejection = Problem(error.kind, None, None, str(error))
    except FileRejected as error:  # the guard: unsafe_file (zip bomb, macros…) or not_readable
        rejection = Problem(error.kind, None, None, str(error))

    form = parsed.form if parsed else None
    problems = [rejection] if rejection else list(parsed.problems if parsed else ())
    status = "rejected" if rejection else "returned" if problems else "accepted"
    rows = parsed.rows if parsed else ()
    loaded = sum(1 for r in rows if r.ok)
    report_path = feedback.feedback_path(
        feedback_dir, sha256, form.unit_code if form else None, form.period.code if form else None
    )
    facts = feedback.FeedbackFacts(
        source_file,
        sha256,
        arrived,
        status,
        form.unit_name if form else None,
        form.period.label if form else None,
        form.period.due.isoformat() if form else None,
    )
    feedback.write_feedback(report_path, feedback.render(facts, parsed, rejection))

    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    lineage = {"_source_file": source_file, "_source_sha256": sha256, "_loaded_at": loaded_at}
    reason = "; ".join(p.text for p in problems[:5]) + (" …" if len(problems) > 5 else "")
    conn.begin()
    try:
        if parsed:
            _write_rows(conn, parsed, lineage)
        record_file(
            conn,
            SUBMISSIONS_FEED,
            sha256,
            source_file,
            stored,
            "rejected" if rejection else "loaded",
            (len(rows), loaded, len(rows) - loaded),
            reason or None,
            loaded_at,
        )
        insert_batch(
            conn,
            "raw.submission_versions",
            pa.Table.from_pylist(
                [
                    {
                        "sha256": sha256,
                        "source_file": source_file,
                        "file_bytes": stored.stat().st_size,
                        "received_at": arrived,
                        "ingested_at": loaded_at,
                        "template_version": parsed.template_version if parsed else None,
                        "unit_code": form.unit_code if form else None,
                        "period_code": form.period.code if form else None,
                        "status": status,
                        "rows_read": len(rows),
                        "rows_loaded": loaded,
                        "rows_quarantined": len(rows) - loaded,
                        "problem_count": len(problems),
                        "file_problems": json.dumps(
                            [
                                p.as_dict()
                                for p in (parsed.file_problems if parsed else [rejection])
                            ],
                            ensure_ascii=False,
                        ),
                        "reason": reason or None,
                        "feedback_path": str(report_path),
                        "stored_path": str(stored),
                    }
                ]
            ),
        )
        conn.commit()
    except Exception:
        conn.rollback()
        raise
    return SubmissionReport(
        source_file,
        sha256,
        status,
        form.unit_code if form else None,
        form.period.code if form else None,
        len(rows),
        loaded,
        len(rows) - loaded,
        tuple(p.text for p in problems),
        str(report_path),
        round(time.perf_counter() - started, 4),
    )


def process_files(
    conn: duckdb.DuckDBPyConnection,
    paths: list[Path],
    raw_dir: Path,
    store_dir: Path,
    feedback_dir: Path,
) -> list[SubmissionReport]:
    """Process several files; a crash in one (a bug, a disk fault) never stops the others."""
    ensure_submission_tables(conn)
    reports = []
    for path in paths:
        try:
            reports.append(process_file(conn, path, raw_dir, store_dir, feedback_dir))
        except Exception as error:
            reports.append(
                SubmissionReport(
                    display_path(path.relative_to(raw_dir).as_posix()),
                    "",
                    "failed",
                    None,
                    None,
                    0,
                    0,
                    0,
                    (f"{type(error).__name__}: {error}",),
                    None,
                    0.0,
                )
            )
    return reports


def process_landed(
    conn: duckdb.DuckDBPyConnection,
    raw_dir: Path,
    store_dir: Path,
    feedback_dir: Path,
    settle_seconds: float,
) -> tuple[list[SubmissionReport], int, int]:
    """The bulk path: every ready file in raw/submissions/. Returns the reports and how many
    files were left alone (symbolic links, files still settling)."""
    landing = scan(raw_dir, settle_seconds)
    reports = process_files(conn, list(landing.ready), raw_dir, store_dir, feedback_dir)
    return reports, len(landing.symlinks), len(landing.settling)
