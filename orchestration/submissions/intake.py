"""Process delivered workbooks: keep the file as delivered, parse it, load its good rows
and quarantine its bad ones in one transaction, and write the unit's feedback report.

A file is processed once per content (sha256), whatever its name or how often it is
dropped. Status of a version: accepted (no problem at all), returned (退回: some problem, the
unit must correct and resubmit; its good rows are kept but do not count) or rejected (not a
submission workbook; nothing read). For every file rows_read = rows_loaded + quarantined."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from orchestration.ingest import file_store
from orchestration.ingest.batches import write_isolating
from orchestration.ingest.file_names import display_path
from orchestration.ingest.loader import file_record, insert_batch, quarantine_record
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


@dataclass
class _Prepared:
    """A new workbook parsed and its feedback written, its rows waiting for the batch."""

    report: SubmissionReport
    rows: dict[str, list[dict[str, Any]]]  # table → rows, raw.quarantine included
    file: dict[str, Any]  # its raw.ingested_files row
    version: dict[str, Any]  # its raw.submission_versions row


def accepted_history(
    conn: duckdb.DuckDBPyConnection, pending: Sequence[_Prepared] = ()
) -> HistoryLookup:
    """The unit's latest accepted value of each KPI in a comparable period: the same kind of
    period (Q1 with Q1, 年度总结 with 年度总结: counts are cumulative within the year) of this
    or an earlier year, the latest year first, then the latest received. `pending`: the
    workbooks of the batch not yet written, which count as if they were (the outcome must not
    depend on where a batch ends)."""

    def lookup(form: UnitForm) -> dict[str, tuple[float, str]]:
        rows = conn.execute(
            """
            select m.kpi_code, m.value, m.period_code, v.received_at
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
        for item in pending:
            version = item.version
            code = version["period_code"]
            if (
                version["status"] != "accepted"
                or version["unit_code"] != form.unit_code
                or code[4:] != form.period.kind
                or code > form.period.code
            ):
                continue
            rows += [
                (row["kpi_code"], row["value"], code, version["received_at"])
                for row in item.rows.get(_DATA_TABLES["指标填报"], [])
                if row.get("value") is not None
            ]
        latest: dict[str, tuple[Any, ...]] = {}
        for kpi, value, code, received in rows:
            if kpi not in latest or (code, received) > latest[kpi][1:]:
                latest[kpi] = (value, code, received)
        return {kpi: (float(v), period(code).label) for kpi, (v, code, _) in latest.items()}

    return lookup


def _table_rows(parsed: ParsedSubmission, lineage: dict[str, Any]) -> dict[str, list[dict]]:
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
    by_table["raw.quarantine"] = quarantined
    return by_table


def _prepare(
    path: Path,
    raw_dir: Path,
    store_dir: Path,
    feedback_dir: Path,
    known: set[str],
    history: HistoryLookup,
) -> SubmissionReport | _Prepared:
    """Keep, parse and answer one landed workbook; nothing is written to the warehouse.
    Never raises for bad content: the report says why. `known`: the contents ingested."""
    started = time.perf_counter()
    source_file = display_path(path.relative_to(raw_dir).as_posix())
    arrived = received_at(path)
    sha256 = file_store.sha256_of(path)
    if sha256 in known:
        return SubmissionReport(
            source_file, sha256, "already_ingested", None, None, 0, 0, 0, (), None, 0.0
        )
    # From here on only the stored copy is read: what is parsed is what the hash names.
    sha256, stored = file_store.keep(path, store_dir)
    if sha256 in known:
        return SubmissionReport(
            source_file, sha256, "already_ingested", None, None, 0, 0, 0, (), None, 0.0
        )
    parsed: ParsedSubmission | None = None
    rejection: Problem | None = None
    try:
        parsed = parse_submission(stored, arrived.date(), history)
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
    file = file_record(
        SUBMISSIONS_FEED,
        sha256,
        source_file,
        stored,
        "rejected" if rejection else "loaded",
        (len(rows), loaded, len(rows) - loaded),
        reason or None,
        loaded_at,
    )
    version = {
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
            [p.as_dict() for p in (parsed.file_problems if parsed else [rejection])],
            ensure_ascii=False,
        ),
        "reason": reason or None,
        "feedback_path": str(report_path),
        "stored_path": str(stored),
    }
    report = SubmissionReport(
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
    return _Prepared(report, _table_rows(parsed, lineage) if parsed else {}, file, version)


def _write(conn: duckdb.DuckDBPyConnection, batch: Sequence[_Prepared]) -> list[SubmissionReport]:
    """A batch of workbooks in one transaction: a statement per table, not per file."""
    by_table: dict[str, list[dict[str, Any]]] = {}
    for item in batch:
        for table, rows in item.rows.items():
            by_table.setdefault(table, []).extend(rows)
    conn.begin()
    try:
        for table, rows in by_table.items():
            insert_batch(conn, table, pa.Table.from_pylist(rows))
        insert_batch(conn, "raw.ingested_files", pa.Table.from_pylist([i.file for i in batch]))
        versions = pa.Table.from_pylist([i.version for i in batch])
        insert_batch(conn, "raw.submission_versions", versions)
        conn.commit()
    except Exception:
        conn.rollback()
        raise
    return [item.report for item in batch]


def _failed(source_file: str, error: Exception) -> SubmissionReport:
    reason = (f"{type(error).__name__}: {error}",)
    return SubmissionReport(source_file, "", "failed", None, None, 0, 0, 0, reason, None, 0.0)


def _write_or_isolate(
    conn: duckdb.DuckDBPyConnection, batch: list[_Prepared], known: set[str]
) -> list[SubmissionReport]:
    """The batch in one transaction, or workbook by workbook if that fails (batches.py)."""

    def failed(item: _Prepared, error: Exception) -> SubmissionReport:
        known.discard(item.report.sha256)  # read again by the next pass
        return _failed(item.report.source_file, error)

    return write_isolating(batch, lambda items: _write(conn, items), failed)


# Workbooks are written in batches of this many, one transaction each: a statement per file
# and table cost more than parsing the workbook.
BATCH_FILES = 200


def process_file(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    raw_dir: Path,
    store_dir: Path,
    feedback_dir: Path,
) -> SubmissionReport:
    """Process one landed workbook. Never raises for bad content: the report says why."""
    [report] = process_files(conn, [path], raw_dir, store_dir, feedback_dir, isolate=False)
    return report


def process_files(
    conn: duckdb.DuckDBPyConnection,
    paths: list[Path],
    raw_dir: Path,
    store_dir: Path,
    feedback_dir: Path,
    isolate: bool = True,
) -> list[SubmissionReport]:
    """Process several files; a crash in one (a bug, a disk fault) never stops the others
    (with `isolate`; without, the error is raised)."""
    ensure_submission_tables(conn)
    known = {
        row[0]
        for row in conn.execute(
            "select sha256 from raw.ingested_files where feed = ?", [SUBMISSIONS_FEED]
        ).fetchall()
    }
    reports: list[SubmissionReport] = []
    batch: list[_Prepared] = []
    for path in paths:
        try:
            history = accepted_history(conn, batch)
            item = _prepare(path, raw_dir, store_dir, feedback_dir, known, history)
        except Exception as error:
            if not isolate:
                raise
            reports.append(_failed(display_path(path.relative_to(raw_dir).as_posix()), error))
            continue
        if isinstance(item, SubmissionReport):
            reports.append(item)
            continue
        known.add(item.report.sha256)
        batch.append(item)
        if len(batch) >= BATCH_FILES:
            reports += _write_or_isolate(conn, batch, known)
            batch = []
    if batch:
        reports += _write_or_isolate(conn, batch, known) if isolate else _write(conn, batch)
    # in landing order (batched files report when written)
    order = {display_path(p.relative_to(raw_dir).as_posix()): i for i, p in enumerate(paths)}
    reports.sort(key=lambda r: order.get(r.source_file, len(order)))
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
