"""Submission intake on real workbooks and a real DuckDB file: round trip for every unit,
each kind of mistake, accepted spellings, versions, idempotence, hostile files, the sensor."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, RunRequest, build_sensor_context
from openpyxl import Workbook

from orchestration.submissions import layout
from orchestration.submissions.filled import FilledForm
from orchestration.submissions.intake import SubmissionReport, process_file, process_landed
from orchestration.submissions.reporting import UnitForm, form_for, reporting_units
from orchestration.submissions.store import ensure_submission_tables
from tests.submission_helpers import complete, write


@dataclass
class Intake:
    root: Path
    conn: duckdb.DuckDBPyConnection

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw"

    @property
    def inbox(self) -> Path:
        return self.raw_dir / "submissions"

    def process(self, path: Path) -> SubmissionReport:
        return process_file(
            self.conn, path, self.raw_dir, self.root / "store", self.root / "feedback"
        )

    def task_cell(self, sha256: str, task_no: int, column: str) -> object:
        """One loaded value of a task row of the version `sha256`."""
        return self.conn.execute(
            f"select {column} from raw.submission_task_progress "
            "where _source_sha256 = ? and task_no = ?",
            [sha256, task_no],
        ).fetchall()[0][0]

    def metric_cell(self, sha256: str, kpi_code: str, column: str) -> object:
        """One loaded value of a metric row of the version `sha256`."""
        return self.conn.execute(
            f"select {column} from raw.submission_metric_values "
            "where _source_sha256 = ? and kpi_code = ?",
            [sha256, kpi_code],
        ).fetchall()[0][0]

    def count(self, table: str, where: str = "true", params: list[object] | None = None) -> int:
        return self.conn.execute(
            f"select count(*) from {table} where {where}", params or []
        ).fetchall()[0][0]


@pytest.fixture
def intake(tmp_path: Path) -> Intake:
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_submission_tables(conn)
    (tmp_path / "raw" / "submissions").mkdir(parents=True)
    yield Intake(tmp_path, conn)
    conn.close()


def _metric_row(form: UnitForm, kpi_code: str) -> int:
    return layout.FIRST_DATA_ROW + [m.kpi_code for m in form.metrics].index(kpi_code)


def _task_row(form: UnitForm, task_no: int) -> int:
    return layout.FIRST_DATA_ROW + [t.task_no for t in form.tasks].index(task_no)


def _first(form: UnitForm, kind: str) -> str:
    return next(m.kpi_code for m in form.metrics if m.kind == kind)


def test_round_trip_for_every_reporting_unit(intake: Intake) -> None:
    expected_rows = 0
    for unit in reporting_units():
        for period_code in ("2015Q2", "2015Y"):
            form = form_for(unit, period_code)
            path = write(complete(form), intake.inbox / f"{period_code}_{unit}.xlsx")
            report = intake.process(path)
            rows = 1 + len(form.tasks) + len(form.metrics)
            assert report.status == "accepted", (unit, report.problems)
            assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (
                rows,
                rows,
                0,
            )
            expected_rows += rows
            tasks = intake.conn.execute(
                "select task_no, status, completed_on from raw.submission_task_progress "
                "where _source_sha256 = ? order by task_no",
                [report.sha256],
            ).fetchall()
            assert [t[0] for t in tasks] == sorted(t.task_no for t in form.tasks)
            assert all(t[1] == "已完成" and isinstance(t[2], date) for t in tasks)
            values = dict(
                intake.conn.execute(
                    "select kpi_code, value from raw.submission_metric_values "
                    "where _source_sha256 = ?",
                    [report.sha256],
                ).fetchall()
            )
            for metric in form.metrics:
                want = {"rate": 90.0, "ratio": 0.9, "boolean": 1.0, "rank": 3.0, "count": 12.0}
                assert values[metric.kpi_code] == pytest.approx(want[metric.kind])
    reconciled = intake.conn.execute(
        "select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from raw.ingested_files "
        "where feed = 'submissions'"
    ).fetchall()[0]
    assert reconciled == (expected_rows, expected_rows, 0)
    assert intake.count("raw.submission_versions", "status = 'accepted'") == 2 * len(
        reporting_units()
    )


Mutation = Callable[[FilledForm], None]
SZJJ = form_for("SZJJ", "2015Y")
COUNTY = form_for("GOV_131022", "2015Y")


def _set_metric(kpi: str, **cells: object) -> Mutation:
    return lambda filled: filled.metrics[kpi].update(cells)


def _set_task(task_no: int, **cells: object) -> Mutation:
    return lambda filled: filled.tasks[task_no].update(cells)


def _set_cover(**cells: object) -> Mutation:
    return lambda filled: filled.cover.update(cells)


def _extra_task(task_no: int) -> Mutation:
    return lambda filled: filled.extra_task_rows.append(
        {"task_no": task_no, "status": "进行中", "progress_text": "参与", "percent_complete": 50}
    )


COUNT_KPI, RATE_KPI, BOOL_KPI = _first(SZJJ, "count"), _first(SZJJ, "rate"), _first(SZJJ, "boolean")
TASK = SZJJ.tasks[0].task_no
MISTAKES: list[tuple[str, UnitForm, Mutation, str, str]] = [
    (
        "not_a_number",
        SZJJ,
        _set_metric(COUNT_KPI, value="九十二"),
        f"指标填报!D{_metric_row(SZJJ, COUNT_KPI)}",
        "“九十二” is not a number",
    ),
    (
        "numerator_gt_denominator",
        SZJJ,
        _set_metric(RATE_KPI, numerator=60, denominator=50),
        f"指标填报!E{_metric_row(SZJJ, RATE_KPI)}",
        "分子 60 is greater than 分母 50",
    ),
    (
        "percent_out_of_range",
        SZJJ,
        _set_task(TASK, percent_complete=120),
        f"任务进展!G{_task_row(SZJJ, TASK)}",
        "“120” is outside 0–100 %",
    ),
    (
        "percent_out_of_range",
        SZJJ,
        _set_metric(RATE_KPI, value="105%"),
        f"指标填报!D{_metric_row(SZJJ, RATE_KPI)}",
        "“105%” is outside 0–100 %",
    ),
    (
        "completed_without_date",
        SZJJ,
        _set_task(TASK, completed_on=None),
        f"任务进展!J{_task_row(SZJJ, TASK)}",
        "已完成 needs a 完成日期",
    ),
    (
        "task_not_held",
        COUNTY,
        _extra_task(13),
        f"任务进展!B{layout.FIRST_DATA_ROW + len(COUNTY.tasks)}",
        "does not hold task 13",
    ),
    (
        "unknown_status",
        SZJJ,
        _set_task(TASK, status="基本完成"),
        f"任务进展!F{_task_row(SZJJ, TASK)}",
        "“基本完成” is not a status",
    ),
    (
        "not_a_date",
        SZJJ,
        _set_task(TASK, completed_on="2015年13月1日"),
        f"任务进展!J{_task_row(SZJJ, TASK)}",
        "“2015年13月1日” is not a valid calendar date",
    ),
    ("missing_required", SZJJ, _set_cover(filled_by=None), "封面!B5", "填报人 is required"),
    (
        "missing_required",
        SZJJ,
        _set_metric(COUNT_KPI, value=None),
        f"指标填报!D{_metric_row(SZJJ, COUNT_KPI)}",
        "required in the annual report",
    ),
    (
        "value_mismatch",
        SZJJ,
        _set_metric(RATE_KPI, value=80),
        f"指标填报!D{_metric_row(SZJJ, RATE_KPI)}",
        "does not match 分子/分母",
    ),
    (
        "unknown_boolean",
        SZJJ,
        _set_metric(BOOL_KPI, value="差不多"),
        f"指标填报!D{_metric_row(SZJJ, BOOL_KPI)}",
        "“差不多” is not 是/否",
    ),
    (
        "status_conflict",
        SZJJ,
        _set_task(TASK, percent_complete=60),
        f"任务进展!G{_task_row(SZJJ, TASK)}",
        "已完成 but 完成百分比 is 60",
    ),
    (
        "date_out_of_range",
        form_for("SZJJ", "2015Q1"),
        _set_task(TASK, completed_on=date(2015, 5, 1)),
        f"任务进展!J{_task_row(SZJJ, TASK)}",
        "after the end of the period",
    ),
    ("bad_phone", SZJJ, _set_cover(phone="找办公室"), "封面!B6", "is not a telephone number"),
    (
        "cover_mismatch",
        SZJJ,
        _set_cover(reporting_unit_name="廊坊市农业局"),
        "封面!B3",
        "is not 廊坊市质量技术监督局",
    ),
]


@pytest.mark.parametrize(
    ("kind", "form", "mutate", "cell", "message"),
    MISTAKES,
    ids=[f"{m[0]}-{i}" for i, m in enumerate(MISTAKES)],
)
def test_each_mistake_is_named_by_cell_and_nothing_is_lost(
    intake: Intake, kind: str, form: UnitForm, mutate: Mutation, cell: str, message: str
) -> None:
    filled = complete(form)
    mutate(filled)
    report = intake.process(write(filled, intake.inbox / "mistake.xlsx"))
    assert report.status == "returned"
    matching = [p for p in report.problems if p.startswith(cell) and message in p]
    assert matching, report.problems
    expected_rows = 1 + len(form.tasks) + len(form.metrics) + len(filled.extra_task_rows)
    assert report.rows_read == expected_rows
    assert report.rows_read == report.rows_loaded + report.rows_quarantined
    assert report.rows_quarantined >= 1
    sheet, _, ref = cell.partition("!")
    quarantined = intake.conn.execute(
        "select source_row, reason, problems from raw.quarantine where source_sha256 = ? "
        "and source_sheet = ?",
        [report.sha256, sheet],
    ).fetchall()
    row_number = int("".join(ch for ch in ref if ch.isdigit()))
    if sheet == layout.SHEET_COVER:  # the cover is one row, recorded at its first field
        row_number = layout.COVER_FIELDS[0].row
    assert any(r[0] == row_number and message in r[1] for r in quarantined)
    kinds = {p["kind"] for r in quarantined for p in json.loads(r[2])}
    assert kind in kinds
    version = intake.conn.execute(
        "select status, rows_read, rows_loaded, rows_quarantined from raw.submission_versions "
        "where sha256 = ?",
        [report.sha256],
    ).fetchall()[0]
    assert version == ("returned", report.rows_read, report.rows_loaded, report.rows_quarantined)
    html = Path(report.feedback_path or "").read_text(encoding="utf-8")
    assert "退回修改" in html and ref in html


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("92%", 92.0), ("0.92", 92.0), ("92", 92.0), (92, 92.0), ("９２", 92.0), (0.92, 92.0)],
)
def test_percent_spellings_all_read_as_92(intake: Intake, typed: object, expected: float) -> None:
    form = form_for("SZJJ", "2015Q3")
    filled = complete(form)
    filled.tasks[TASK] = {"status": "进行中", "percent_complete": typed, "progress_text": "推进中"}
    report = intake.process(write(filled, intake.inbox / "p.xlsx"))
    assert report.status == "accepted", report.problems
    got = intake.task_cell(report.sha256, TASK, "percent_complete")
    assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    "typed", ["2015年12月9日", "2015.12.9", "2015/12/9", 42347, "42347", date(2015, 12, 9)]
)
def test_date_spellings(intake: Intake, typed: object) -> None:
    filled = complete(SZJJ)
    filled.tasks[TASK]["completed_on"] = typed
    report = intake.process(write(filled, intake.inbox / "d.xlsx"))
    assert report.status == "accepted", report.problems
    got = intake.task_cell(report.sha256, TASK, "completed_on")
    assert got == date(2015, 12, 9)


@pytest.mark.parametrize(
    ("typed", "expected"), [("1,234", 1234), ("１２", 12), (" 12 ", 12), (12.0, 12)]
)
def test_number_spellings(intake: Intake, typed: object, expected: float) -> None:
    filled = complete(SZJJ)
    filled.metrics[COUNT_KPI] = {"value": typed}
    report = intake.process(write(filled, intake.inbox / "n.xlsx"))
    assert report.status == "accepted", report.problems
    got = intake.metric_cell(report.sha256, COUNT_KPI, "value")
    assert got == expected


def test_resubmission_adds_a_version_and_keeps_the_old(intake: Intake) -> None:
    wrong = complete(SZJJ)
    wrong.metrics[COUNT_KPI] = {"value": "九十二"}
    first = intake.process(write(wrong, intake.inbox / "2015Y_市质监局.xlsx"))
    fixed = complete(SZJJ)
    second = intake.process(write(fixed, intake.inbox / "2015Y_市质监局_更正.xlsx"))
    assert (first.status, second.status) == ("returned", "accepted")
    versions = intake.conn.execute(
        "select sha256, status from raw.submission_versions where unit_code = 'SZJJ' "
        "order by received_at, ingested_at"
    ).fetchall()
    assert versions == [(first.sha256, "returned"), (second.sha256, "accepted")]
    # the old version's rows are still there, under its own hash
    assert intake.count("raw.submission_metric_values", "_source_sha256 = ?", [first.sha256]) == (
        len(SZJJ.metrics) - 1
    )
    assert intake.count("raw.quarantine", "source_sha256 = ?", [first.sha256]) == 1
    assert Path(first.feedback_path or "").exists() and Path(second.feedback_path or "").exists()


def test_same_content_is_processed_once_whatever_its_name(intake: Intake) -> None:
    path = write(complete(SZJJ), intake.inbox / "a.xlsx")
    copy = intake.inbox / "b" / "副本.xlsx"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    first, second = intake.process(path), intake.process(copy)
    assert (first.status, second.status) == ("accepted", "already_ingested")
    rows = intake.count("raw.submission_metric_values")
    reports, _, _ = process_landed(
        intake.conn, intake.raw_dir, intake.root / "store", intake.root / "feedback", 0
    )
    assert {r.status for r in reports} == {"already_ingested"}
    assert intake.count("raw.submission_metric_values") == rows
    assert intake.count("raw.submission_versions") == 1


def _not_a_template(path: Path) -> None:
    workbook = Workbook()
    workbook.active.append(["序号", "指标", "数值"])
    workbook.save(path)


def _old_version(path: Path) -> None:
    filled = complete(SZJJ)
    filled.meta_overrides[layout.META_TEMPLATE_VERSION] = "2014.9"
    write(filled, path)


def _unknown_unit(path: Path) -> None:
    filled = complete(SZJJ)
    filled.meta_overrides[layout.META_UNIT_CODE] = "NOBODY"
    write(filled, path)


@pytest.mark.parametrize(
    ("name", "make", "kind", "message"),
    [
        ("macro.xlsm", lambda p: write(complete(SZJJ), p), "unsafe_file", ".xlsm"),
        (
            "old.xls",
            lambda p: p.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 512),
            "unsafe_file",
            ".xls",
        ),
        ("random.xlsx", lambda p: p.write_bytes(os.urandom(2048)), "not_readable", "zip"),
        ("foreign.xlsx", _not_a_template, "not_a_template", "not a submission template"),
        ("old_template.xlsx", _old_version, "unknown_template_version", "2014.9"),
        ("nobody.xlsx", _unknown_unit, "unknown_unit", "NOBODY"),
    ],
)
def test_files_that_are_not_submissions_are_rejected_and_recorded(
    intake: Intake, name: str, make: Callable[[Path], object], kind: str, message: str
) -> None:
    path = intake.inbox / name
    make(path)
    started = time.perf_counter()
    report = intake.process(path)
    assert time.perf_counter() - started < 2
    assert report.status == "rejected"
    assert message in report.problems[0], report.problems
    status, problems, rows = intake.conn.execute(
        "select status, file_problems, rows_read from raw.submission_versions where sha256 = ?",
        [report.sha256],
    ).fetchall()[0]
    assert (status, rows) == ("rejected", 0)
    assert json.loads(problems)[0]["kind"] == kind
    assert (
        intake.count(
            "raw.ingested_files",
            "feed = 'submissions' and status = 'rejected' and sha256 = ?",
            [report.sha256],
        )
        == 1
    )
    assert "_unidentified" in (report.feedback_path or "")


def test_a_crash_in_one_file_does_not_stop_the_others(
    intake: Intake, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orchestration.submissions.intake as intake_module

    good = write(complete(SZJJ), intake.inbox / "1_good.xlsx")
    bad = write(complete(COUNTY), intake.inbox / "0_crash.xlsx")
    real = intake_module.parse_submission

    def flaky(path: Path, received_on: date | None = None, history=None):  # one file's bug
        if path.read_bytes() == bad.read_bytes():
            raise RuntimeError("boom")
        return real(path, received_on, history)

    monkeypatch.setattr(intake_module, "parse_submission", flaky)
    reports, _, _ = process_landed(
        intake.conn, intake.raw_dir, intake.root / "store", intake.root / "feedback", 0
    )
    assert sorted(r.status for r in reports) == ["accepted", "failed"]
    assert "boom" in next(r for r in reports if r.status == "failed").problems[0]
    assert good.exists() and bad.exists()
    # the failed file left nothing half-written and is retried next time
    monkeypatch.setattr(intake_module, "parse_submission", real)
    retry, _, _ = process_landed(
        intake.conn, intake.raw_dir, intake.root / "store", intake.root / "feedback", 0
    )
    assert sorted(r.status for r in retry) == ["accepted", "already_ingested"]


def test_symlinks_and_files_still_being_written_wait(intake: Intake, tmp_path: Path) -> None:
    outside = write(complete(SZJJ), tmp_path / "elsewhere" / "x.xlsx")
    (intake.inbox / "link.xlsx").symlink_to(outside)
    fresh = write(complete(COUNTY), intake.inbox / "fresh.xlsx")
    reports, symlinks, settling = process_landed(
        intake.conn, intake.raw_dir, intake.root / "store", intake.root / "feedback", 60
    )
    assert (reports, symlinks, settling) == ([], 1, 1)
    old = time.time() - 120
    os.utime(fresh, (old, old))
    reports, symlinks, settling = process_landed(
        intake.conn, intake.raw_dir, intake.root / "store", intake.root / "feedback", 60
    )
    assert [r.status for r in reports] == ["accepted"] and symlinks == 1


def test_sensor_asks_once_per_content_and_moves_its_cursor(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.defs.submissions.sensors import submission_sensor

    monkeypatch.setenv("LQ_SETTLE_SECONDS", "0")
    inbox = isolated_env / "raw" / "submissions"
    first = write(complete(SZJJ), inbox / "a.xlsx")
    (inbox / "same_again.xlsx").write_bytes(first.read_bytes())
    write(complete(COUNTY), inbox / "b.xlsx")
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(instance=instance)
        requests = [r for r in submission_sensor(context) if isinstance(r, RunRequest)]
        assert len(requests) == 2  # two contents, three files
        assert all(r.run_key and r.run_key.startswith("submission-") for r in requests)
        cursor = context.cursor
        again = build_sensor_context(instance=instance, cursor=cursor)
        assert not [r for r in submission_sensor(again) if isinstance(r, RunRequest)]
        # dropping the same content again asks with the same run key: Dagster skips it
        (inbox / "third_copy.xlsx").write_bytes(first.read_bytes())
        later = build_sensor_context(instance=instance, cursor=cursor)
        repeat = [r for r in submission_sensor(later) if isinstance(r, RunRequest)]
        assert [r.run_key for r in repeat] == [
            next(r.run_key for r in requests if "a.xlsx" in str(r.run_config))
        ]


def test_sensor_run_processes_its_file_once(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.definitions import build_definitions
    from orchestration.defs.submissions.sensors import submission_sensor

    monkeypatch.setenv("LQ_SETTLE_SECONDS", "0")
    write(complete(SZJJ), isolated_env / "raw" / "submissions" / "a.xlsx")
    job = build_definitions().resolve_job_def("submission_intake")
    with DagsterInstance.ephemeral() as instance:
        (request,) = [
            r
            for r in submission_sensor(build_sensor_context(instance=instance))
            if isinstance(r, RunRequest)
        ]
        results = [
            job.execute_in_process(run_config=request.run_config, instance=instance)
            for _ in range(2)
        ]
    assert all(r.success for r in results)
    meta = [r.get_asset_materialization_events()[0].materialization.metadata for r in results]
    assert (meta[0]["files_accepted"].value, meta[1]["files_already_ingested"].value) == (1, 1)
    with duckdb.connect(os.environ["LQ_WAREHOUSE"], read_only=True) as conn:
        assert conn.execute("select count(*) from raw.submission_versions").fetchall() == [(1,)]


def test_sensor_asks_nothing_for_content_the_bulk_path_already_took(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration import settings
    from orchestration.defs.submissions.sensors import submission_sensor

    monkeypatch.setenv("LQ_SETTLE_SECONDS", "0")
    write(complete(SZJJ), isolated_env / "raw" / "submissions" / "a.xlsx")
    settings.warehouse_path().parent.mkdir(parents=True)
    with duckdb.connect(str(settings.warehouse_path())) as conn:
        reports, _, _ = process_landed(
            conn, settings.raw_dir(), settings.file_store_dir(), settings.feedback_dir(), 0
        )
    assert [r.status for r in reports] == ["accepted"]
    with DagsterInstance.ephemeral() as instance:
        ticks = list(submission_sensor(build_sensor_context(instance=instance)))
    assert not [r for r in ticks if isinstance(r, RunRequest)]
    assert "1 already in the file store" in str(ticks[-1])


def _rewrite_part(path: Path, part: str, change: Callable[[str], str]) -> None:
    """Rewrite one XML part of an xlsx (what a foreign tool or a hostile sender could do)."""
    import zipfile

    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            if info.filename == part:
                data = change(data.decode("utf-8")).encode("utf-8")
            target.writestr(info, data)


TASK_SHEET_XML = "xl/worksheets/sheet3.xml"  # 填报说明, 封面, 任务进展, 指标填报, _meta


def test_a_damaged_sheet_is_rejected_as_unreadable_not_a_crash(intake: Intake) -> None:
    path = write(complete(SZJJ), intake.inbox / "damaged.xlsx")
    _rewrite_part(path, TASK_SHEET_XML, lambda xml: xml[: len(xml) // 2])
    report = intake.process(path)
    assert report.status == "rejected"
    assert "not a readable xlsx workbook" in report.problems[0]
    kind = intake.conn.execute(
        "select file_problems->>'$[0].kind' from raw.submission_versions where sha256 = ?",
        [report.sha256],
    ).fetchall()[0][0]
    assert kind == "not_readable"


def test_the_declared_sheet_size_is_ignored(intake: Intake) -> None:
    # The <dimension> says one row; every row is still read, and an extra row still counts.
    filled = complete(COUNTY)
    filled.extra_task_rows.append({"task_no": 13, "status": "进行中", "progress_text": "x"})
    path = write(filled, intake.inbox / "lying.xlsx")
    _rewrite_part(
        path,
        TASK_SHEET_XML,
        lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1"', xml),
    )
    report = intake.process(path)
    assert report.status == "returned"
    assert any("does not hold task 13" in p for p in report.problems)
    assert report.rows_read == 1 + len(COUNTY.tasks) + 1 + len(COUNTY.metrics)


def test_a_sheet_with_thousands_of_rows_is_not_a_template(intake: Intake) -> None:
    filled = complete(COUNTY)
    filled.extra_task_rows.extend({"task_no": 13, "status": "进行中"} for _ in range(200))
    report = intake.process(write(filled, intake.inbox / "long.xlsx"))
    assert report.status == "rejected"
    assert "has entries below row" in report.problems[0]


@pytest.mark.parametrize(
    ("period_code", "message"),
    [("2014Q4", "before the plan"), ("2099Q1", "had not begun when the file arrived")],
)
def test_periods_outside_the_plan_or_in_the_future_are_rejected(
    intake: Intake, period_code: str, message: str
) -> None:
    filled = complete(SZJJ)
    filled.meta_overrides[layout.META_PERIOD_CODE] = period_code
    report = intake.process(write(filled, intake.inbox / "when.xlsx"))
    assert report.status == "rejected" and message in report.problems[0]


def test_dates_after_the_delivery_are_refused(intake: Intake) -> None:
    filled = complete(SZJJ)  # completed 2015-11-30, filled on 2015-12-31
    path = write(filled, intake.inbox / "early.xlsx")
    arrived = datetime(2015, 11, 20, 10, 0).timestamp()
    os.utime(path, (arrived, arrived))
    report = intake.process(path)
    assert report.status == "returned"
    assert any(p.startswith("封面!B8") and "after the file arrived" in p for p in report.problems)
    assert any("after the end of the period or the day of delivery" in p for p in report.problems)


@pytest.mark.parametrize(
    ("numerator", "denominator", "typed", "expected"),
    [
        (35, 10000, "0.35", 0.35),
        (35, 10000, "0.35%", 0.35),
        (50, 50, 1, 100.0),
        (45, 50, 0.9, 90.0),
    ],
)
def test_a_rate_typed_as_percent_or_fraction_agrees_with_its_fraction(
    intake: Intake, numerator: int, denominator: int, typed: object, expected: float
) -> None:
    filled = complete(SZJJ)
    filled.metrics[RATE_KPI] = {"value": typed, "numerator": numerator, "denominator": denominator}
    report = intake.process(write(filled, intake.inbox / "rate.xlsx"))
    assert report.status == "accepted", report.problems
    entered = intake.metric_cell(report.sha256, RATE_KPI, "value_entered")
    assert entered == pytest.approx(expected)


def test_a_file_name_that_is_not_utf8_reaches_its_run(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.definitions import build_definitions
    from orchestration.defs.submissions.sensors import submission_sensor

    monkeypatch.setenv("LQ_SETTLE_SECONDS", "0")
    inbox = isolated_env / "raw" / "submissions"
    gbk_name = os.fsdecode(
        "2015年报_质监局.xlsx".encode("gbk")
    )  # as a GBK zip or share delivers it
    write(complete(SZJJ), inbox / gbk_name)
    with DagsterInstance.ephemeral() as instance:
        (request,) = [
            r
            for r in submission_sensor(build_sensor_context(instance=instance))
            if isinstance(r, RunRequest)
        ]
        job = build_definitions().resolve_job_def("submission_intake")
        result = job.execute_in_process(
            run_config=request.run_config, instance=instance, tags=request.tags
        )
    assert result.success
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["files_accepted"].value == 1


def _yoy(form: UnitForm, kind: str) -> str:
    return next(m.kpi_code for m in form.metrics if m.compares_with_prior_year and m.kind == kind)


@pytest.mark.parametrize(
    ("kind", "typed", "note", "expected"),
    [
        ("rate", "80%", None, 80.0),
        ("rate", "0.85", None, 85.0),  # 填报说明 rule 6: 0.92 means 92 %, as for 本期数值
        ("rate", 12, None, 12.0),  # 90 % this year: 7.5×, plausible
        ("rate", "0.5%", "确认：数值无误", 0.5),  # 180×: accepted only once confirmed
        ("rank", "５", None, 5.0),
    ],
)
def test_the_prior_year_value_of_a_year_on_year_kpi(
    intake: Intake, kind: str, typed: object, note: str | None, expected: float
) -> None:
    kpi = _yoy(SZJJ, kind)
    filled = complete(SZJJ)
    filled.metrics[kpi].update(prior_value=typed, note=note)
    report = intake.process(write(filled, intake.inbox / "prior.xlsx"))
    assert report.status == "accepted", report.problems
    got = intake.metric_cell(report.sha256, kpi, "prior_value")
    assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    ("form", "kpi", "cell_value", "message"),
    [
        (SZJJ, COUNT_KPI, 20, "上年数值 is not asked for this row"),  # not year-on-year
        (form_for("SZJJ", "2015Q2"), _yoy(SZJJ, "rate"), 20, "上年数值 is not asked"),  # quarterly
        (SZJJ, _yoy(SZJJ, "rate"), "九十", "“九十” is not a number"),
    ],
)
def test_a_prior_year_value_where_none_is_asked_or_unreadable_is_named(
    intake: Intake, form: UnitForm, kpi: str, cell_value: object, message: str
) -> None:
    filled = complete(form)
    filled.metrics[kpi]["prior_value"] = cell_value
    report = intake.process(write(filled, intake.inbox / "prior_bad.xlsx"))
    assert report.status == "returned"
    cell = f"指标填报!K{_metric_row(form, kpi)}"
    assert any(p.startswith(cell) and message in p for p in report.problems), report.problems
