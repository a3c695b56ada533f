"""Every workbook of the human-filled corpus (tests/submission_corpus.py) through the real intake
into a real DuckDB file, with the outcome it is owed: accepted with exactly the values meant,
refused naming the cell (or the file) and the reason, or returned for confirmation. Nothing
crashes, no row is lost (rows_read = loaded + quarantined), nothing is silently misread.

One warehouse serves the corpus; a case whose outcome depends on the unit's history gets its
own, with that history loaded first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration import settings
from orchestration.submissions.intake import SubmissionReport, process_file, process_landed
from orchestration.submissions.plausibility import CONFIRMABLE_KINDS
from orchestration.submissions.store import ensure_submission_tables
from tests.submission_corpus import (
    ACCEPTED,
    CASES,
    CONFIRM,
    REFUSED,
    Case,
    build,
    history_file,
    summary_table,
)

DOCS = settings.PROJECT_ROOT / "docs" / "feeds" / "submissions.md"
_TABLES = {
    "metric": ("raw.submission_metric_values", "kpi_code"),
    "task": ("raw.submission_task_progress", "task_no"),
    "cover": ("raw.submission_covers", "''"),
}


@dataclass
class Warehouse:
    root: Path
    conn: duckdb.DuckDBPyConnection

    def process(self, path: Path) -> SubmissionReport:
        return process_file(
            self.conn, path, self.root / "raw", self.root / "store", self.root / "feedback"
        )

    @property
    def inbox(self) -> Path:
        return self.root / "raw" / "submissions"


def _warehouse(root: Path) -> Warehouse:
    (root / "raw" / "submissions").mkdir(parents=True)
    conn = duckdb.connect(str(root / "w.duckdb"))
    ensure_submission_tables(conn)
    return Warehouse(root, conn)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    warehouse = _warehouse(tmp_path_factory.mktemp("corpus"))
    yield warehouse
    warehouse.conn.close()


def _loaded(warehouse: Warehouse, sha256: str, key: tuple[str, Any, str]) -> Any:
    table, id_column = _TABLES[key[0]]
    rows = warehouse.conn.execute(
        f"select {key[2]} from {table} where _source_sha256 = ? and {id_column} = ?",
        [sha256, key[1]],
    ).fetchall()
    assert len(rows) == 1, key
    return rows[0][0]


def _kinds(warehouse: Warehouse, sha256: str) -> set[str]:
    rows = warehouse.conn.execute(
        "select problems from raw.quarantine where source_sha256 = ?", [sha256]
    ).fetchall()
    file_problems = warehouse.conn.execute(
        "select file_problems from raw.submission_versions where sha256 = ?", [sha256]
    ).fetchall()
    kinds = {p["kind"] for (text,) in rows for p in json.loads(text)}
    return kinds | {p["kind"] for (text,) in file_problems for p in json.loads(text)}


def _misread(case: Case, warehouse: Warehouse, report: SubmissionReport) -> list[str]:
    """Where an accepted case's loaded values differ from what was meant."""
    wrong = []
    for key, meant in case.expect.items():
        got = _loaded(warehouse, report.sha256, key)
        same = got == pytest.approx(meant) if isinstance(meant, float) else got == meant
        if not same:
            wrong.append(f"{key}: {got!r} instead of {meant!r}")
    return wrong


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.name for c in CASES])
def test_corpus_case(index: int, shared: Warehouse, tmp_path: Path) -> None:
    case = CASES[index]
    warehouse = shared
    if case.history or case.own_warehouse:
        warehouse = _warehouse(tmp_path / "own")
        for number, (form, fill) in enumerate(case.history):
            earlier = warehouse.process(
                history_file(form, fill, warehouse.inbox / f"history_{number}.xlsx")
            )
            assert earlier.status == "accepted", earlier.problems
    report = warehouse.process(build(case, warehouse.inbox, index))

    assert report.status in ("accepted", "returned", "rejected"), report.problems
    assert report.rows_read == report.rows_loaded + report.rows_quarantined
    if report.status != "rejected":
        form = case.form
        assert report.rows_read >= 1 + len(form.tasks) + len(form.metrics)  # no row lost

    if case.outcome == ACCEPTED:
        assert report.status == "accepted", report.problems
        assert _misread(case, warehouse, report) == []
        return
    assert report.status in ("returned", "rejected"), f"silently accepted: {case.name}"
    matching = [
        p
        for p in report.problems
        if case.reason in p and (case.cell is None or p.startswith(f"{case.cell}:"))
    ]
    assert matching, report.problems
    kinds = _kinds(warehouse, report.sha256)
    if case.outcome == CONFIRM:
        assert report.status == "returned" and kinds <= CONFIRMABLE_KINDS, kinds
    else:
        assert case.outcome == REFUSED and not kinds <= CONFIRMABLE_KINDS, kinds
    if case.cell is None:  # the whole file: one problem saying what changed, not dozens
        assert len(report.problems) == 1, report.problems


def test_the_corpus_covers_every_outcome_and_is_large_enough() -> None:
    outcomes = [case.outcome for case in CASES]
    assert len(CASES) >= 60
    assert {ACCEPTED, REFUSED, CONFIRM} <= set(outcomes)
    assert len({case.name for case in CASES}) == len(CASES)


def test_the_docs_show_the_corpus_summary() -> None:
    assert summary_table() in DOCS.read_text(encoding="utf-8")


def test_history_in_the_same_batch_counts_as_if_it_were_written(tmp_path: Path) -> None:
    """The bulk path writes workbooks in batches: an earlier workbook of the same pass is the
    unit's history as much as one written by an earlier pass (the outcome must not depend on
    where a batch ends)."""
    case = next(c for c in CASES if c.name == "history_tenfold")
    warehouse = _warehouse(tmp_path)
    for number, (form, fill) in enumerate(case.history):
        history_file(form, fill, warehouse.inbox / f"000_history_{number}.xlsx")
    build(case, warehouse.inbox, 1)
    reports, _, _ = process_landed(
        warehouse.conn, warehouse.root / "raw", warehouse.root / "store", tmp_path / "fb", 0
    )
    assert [r.status for r in reports] == ["accepted", "returned"], [r.problems for r in reports]
    assert any(case.reason in p for p in reports[1].problems), reports[1].problems
