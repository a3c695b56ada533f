"""The submissions sample generator, checked on the written files: determinism, mistakes found
by reading the workbooks with the submission cell readers (not generator internals), and
receipt times."""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from orchestration.ingest.readers import FileRejected
from orchestration.submissions import cell_values as cv
from orchestration.submissions import layout
from orchestration.submissions.parse_workbook import parse_submission
from orchestration.submissions.reporting import form_for, period, reporting_units
from sample_data.__main__ import GENERATORS
from sample_data.submissions import generate_submissions

YEAR = 2015
ERROR_RATE = 0.05
LOCAL = ZoneInfo("Asia/Shanghai")
FIRST = layout.FIRST_DATA_ROW


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("submissions")
    return out, generate_submissions(out, [YEAR], error_rate=ERROR_RATE)


@pytest.fixture(scope="module")
def workbooks(generated) -> dict[Path, openpyxl.Workbook]:
    """Every generated workbook that openpyxl can open, loaded once."""
    _, summary = generated
    return {p: openpyxl.load_workbook(p) for p in summary.files if p.suffix == ".xlsx"}


def meta_of(workbook: openpyxl.Workbook) -> dict[str, str]:
    return {row[0]: row[1] for row in workbook[layout.SHEET_META].iter_rows(values_only=True)}


def problems(workbook: openpyxl.Workbook) -> list[str]:
    """Every mistake kind found in a workbook, by the generator's names."""
    meta = meta_of(workbook)
    form = form_for(meta[layout.META_UNIT_CODE], meta[layout.META_PERIOD_CODE])
    found: list[str] = []

    def check(issue: cv.Issue | None, names: dict[str, str]) -> None:
        if issue is not None:
            found.append(names.get(issue.kind, issue.kind))

    cover = workbook[layout.SHEET_COVER]
    fields = {
        f.key: cover[f"{layout.COVER_VALUE_COLUMN}{f.row}"].value for f in layout.COVER_FIELDS
    }
    found += ["missing_required" for f in layout.COVER_FIELDS if cv.is_blank(fields[f.key])]
    if not cv.is_blank(fields["filled_on"]):
        check(cv.read_date(fields["filled_on"])[1], {"not_a_date": "bad_date"})

    tasks = workbook[layout.SHEET_TASKS]
    held = [task.task_no for task in form.tasks]
    row = FIRST
    while tasks[f"B{row}"].value is not None:
        task_no = tasks[f"B{row}"].value
        if row - FIRST >= len(held) or held[row - FIRST] != task_no:
            found.append("task_not_held")
            row += 1
            continue
        status, issue = cv.read_status(tasks[f"F{row}"].value)
        check(issue, {})
        check(cv.read_percent(tasks[f"G{row}"].value)[1], {})
        completed_on = tasks[f"J{row}"].value
        if status == layout.STATUS_COMPLETED and cv.is_blank(completed_on):
            found.append("completed_without_date")
        if not cv.is_blank(completed_on):
            check(cv.read_date(completed_on)[1], {"not_a_date": "bad_date"})
        row += 1
    assert row - FIRST >= len(held)

    metrics = workbook[layout.SHEET_METRICS]
    for row, metric in enumerate(form.metrics, start=FIRST):
        assert metrics[f"B{row}"].value == metric.kpi_code
        value, numerator, denominator = (metrics[f"{c}{row}"].value for c in "DEF")
        if metric.kind == "boolean":
            check(cv.read_boolean(value)[1], {})
        elif metric.kind in ("count", "rank"):
            check(cv.read_count(value, minimum=1 if metric.kind == "rank" else 0)[1], {})
        else:
            if not cv.is_blank(value):
                reader = cv.read_percent if metric.kind == "rate" else cv.read_amount
                check(reader(value)[1], {})
            if cv.is_blank(numerator) and cv.is_blank(value):
                found.append("missing_value")
            if not cv.is_blank(numerator):
                top, issue = cv.read_amount(numerator)
                bottom, issue_bottom = cv.read_amount(denominator)
                check(issue or issue_bottom, {})
                both = top is not None and bottom is not None
                if metric.kind == "rate" and both and top > bottom:
                    found.append("numerator_gt_denominator")
    return found


def test_registered():
    assert GENERATORS["submissions"] is generate_submissions


def test_deterministic(generated, tmp_path):
    out, summary = generated
    again = generate_submissions(tmp_path, [YEAR], error_rate=ERROR_RATE)
    assert [p.relative_to(tmp_path) for p in again.files] == [
        p.relative_to(out) for p in summary.files
    ]
    for first, second in zip(summary.files, again.files, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name
        assert first.stat().st_mtime == second.stat().st_mtime, first.name
    assert again.injected_errors == summary.injected_errors
    assert again.other_counts == summary.other_counts


def test_layout_of_the_delivery(generated):
    out, summary = generated
    folder = out / "submissions" / str(YEAR)
    assert {p.parent for p in summary.files} == {folder}
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in summary.files)
    forms = len(reporting_units()) * 5
    originals = [p for p in summary.files if p.suffix == ".xlsx" and p.stem.count("_") == 1]
    originals = [p for p in originals if " - 副本" not in p.name]
    # Every (unit, period) sent exactly one original, or was counted as not submitted.
    assert len(originals) + summary.other_counts["not_submitted"] == forms
    assert 0 < summary.other_counts["not_submitted"] <= forms * 0.08
    assert summary.total_rows == sum(summary.rows_per_file.values()) > 0


def test_rows_per_file_are_the_rows_the_intake_reads(generated):
    """rows_per_file is each file's rows_read: 1 cover + task lines + metric lines for a
    workbook the parser reads (mistakes and a copied task line included), 0 for one it refuses.
    A duplicate delivery counts its rows too; the intake reads that content once."""
    _, summary = generated
    readable = 0
    for path in summary.files:
        try:
            parsed = parse_submission(path)
        except FileRejected:
            assert summary.rows_per_file[path] == 0, path.name
            continue
        readable += 1
        assert summary.rows_per_file[path] == len(parsed.rows), path.name
        form = parsed.form
        assert len(parsed.rows) >= 1 + len(form.tasks) + len(form.metrics), path.name
    duplicates = [p for p in summary.files if " - 副本" in p.name]
    assert readable > 0 and summary.total_rows == sum(summary.rows_per_file.values())
    assert summary.rows_per_file[duplicates[0]] > 0


def test_injected_errors_add_up(generated, workbooks):
    _, summary = generated
    injected = summary.injected_errors
    row_kinds = [
        k for k in injected if k not in ("hostile_file", "foreign_workbook", "duplicate_delivery")
    ]
    assert all(injected[kind] >= 1 for kind in row_kinds), injected
    found: Counter[str] = Counter()
    hashes: Counter[str] = Counter()
    corrected = [p for p in summary.files if p.stem.endswith("_更正")]
    for path in summary.files:
        data = path.read_bytes()
        hashes[hashlib.sha256(data).hexdigest()] += 1
        if path.suffix == ".xls":
            assert data.startswith(bytes.fromhex("D0CF11E0A1B11AE1"))
            found["hostile_file"] += 1
            continue
        if path.suffix == ".xlsm":
            assert "xl/vbaProject.bin" in zipfile.ZipFile(path).namelist()
            found["hostile_file"] += 1
            continue
        workbook = workbooks[path]
        if layout.SHEET_META not in workbook.sheetnames:
            found["foreign_workbook"] += 1
            continue
        kinds = problems(workbook)
        assert len(kinds) <= 1, (path.name, kinds)  # exactly one mistake per faulty workbook
        if path in corrected:
            assert kinds == [], path.name
            original = path.with_name(path.name.replace("_更正", ""))
            assert len(problems(workbooks[original])) == 1
        elif " - 副本" not in path.name:
            found.update(kinds)
    found["duplicate_delivery"] = sum(count - 1 for count in hashes.values())
    assert found == Counter({k: v for k, v in injected.items() if v})
    assert summary.other_counts["corrected_resubmissions"] == len(corrected) >= 1
    total = sum(v for k, v in injected.items() if k in row_kinds)
    workbooks = len(reporting_units()) * 5 - summary.other_counts["not_submitted"]
    assert total == max(len(row_kinds), round(ERROR_RATE * workbooks))


def test_receipt_times(generated, workbooks):
    _, summary = generated
    late = 0
    received = {}
    for path in summary.files:
        when = dt.datetime.fromtimestamp(path.stat().st_mtime, LOCAL).replace(tzinfo=None)
        received[path.name] = when
        if path.suffix != ".xlsx" or "副本" in path.name:
            continue
        workbook = workbooks[path]
        if layout.SHEET_META not in workbook.sheetnames:
            continue
        reported = period(meta_of(workbook)[layout.META_PERIOD_CODE])
        assert when.date() > reported.end, path.name
        assert when.date() <= reported.due + dt.timedelta(days=30 + 7), path.name
        assert 8 <= when.hour <= 18
        if path.stem.endswith("_更正"):
            original = received.get(path.name.replace("_更正", ""))
            assert original is not None and when > original
        elif when.date() > reported.due:
            late += 1
    assert summary.other_counts["late"] == late
    assert 0.03 <= late / len(summary.files) <= 0.2


def test_no_errors_at_zero_rate(tmp_path, generated):
    _, dirty = generated
    summary = generate_submissions(tmp_path, [YEAR], error_rate=0.0)
    assert sum(summary.injected_errors.values()) == 0
    assert all(p.suffix == ".xlsx" and "_更正" not in p.name for p in summary.files)
    # Mistakes draw from their own streams: the clean workbooks are the same at any rate.
    dirty_bytes = {p.name: p.read_bytes() for p in dirty.files}
    same = sum(dirty_bytes.get(p.name) == p.read_bytes() for p in summary.files)
    assert same >= len(summary.files) - sum(dirty.injected_errors.values())
    for path in summary.files[:40]:
        assert problems(openpyxl.load_workbook(path)) == []


def test_refuses_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        generate_submissions(tmp_path, [YEAR], scale=0)
    with pytest.raises(ValueError):
        generate_submissions(tmp_path, [YEAR], error_rate=1.5)


def test_values_typed_in_many_accepted_forms(workbooks):
    """The parser gets every accepted spelling: dates as dates, serials and text; numbers as
    numbers, text, full-width digits, thousands separators and percentages."""
    dates, percents, counts = Counter(), Counter(), Counter()

    def form_of(value: object) -> str:
        if isinstance(value, dt.datetime):
            return "date"
        if isinstance(value, int | float):
            return "serial" if isinstance(value, int) and value > 20000 else type(value).__name__
        text = str(value)
        for mark, name in (("年", "chinese"), (".", "dotted"), ("/", "slash"), ("-", "iso")):
            if mark in text and any(ch.isdigit() for ch in text):
                return name
        if "%" in text:
            return "percent"
        if "," in text:
            return "grouped"
        if any("０" <= ch <= "９" for ch in text):
            return "full_width"
        return "text"

    for workbook in workbooks.values():
        if layout.SHEET_META not in workbook.sheetnames:
            continue
        tasks, metrics = workbook[layout.SHEET_TASKS], workbook[layout.SHEET_METRICS]
        dates[form_of(workbook[layout.SHEET_COVER]["B8"].value)] += 1
        for row in range(FIRST, tasks.max_row + 1):
            if tasks[f"J{row}"].value is not None:
                dates[form_of(tasks[f"J{row}"].value)] += 1
            if tasks[f"G{row}"].value is not None:
                percents[form_of(tasks[f"G{row}"].value)] += 1
        for row in range(FIRST, metrics.max_row + 1):
            for letter in "DEF":
                value = metrics[f"{letter}{row}"].value
                if value is not None and value not in ("是", "否"):
                    counts[form_of(value)] += 1
    assert {"date", "serial", "chinese", "dotted", "slash"} <= set(dates), dates
    assert {"int", "float", "percent", "full_width", "text"} <= set(percents), percents
    assert {"int", "float", "grouped", "full_width", "text", "percent"} <= set(counts), counts


def test_annual_year_on_year_rows_carry_a_prior_value(workbooks):
    """上年数值 (K) is filled exactly on annual rows of year-on-year metrics, as a reading the
    parser accepts: for a rate a percentage, never a bare fraction below 1."""
    letter = layout.column(layout.METRIC_COLUMNS, "prior_value").letter
    filled = 0
    for workbook in workbooks.values():
        if layout.SHEET_META not in workbook.sheetnames:
            continue
        meta = meta_of(workbook)
        form = form_for(meta[layout.META_UNIT_CODE], meta[layout.META_PERIOD_CODE])
        metrics = workbook[layout.SHEET_METRICS]
        for row, metric in enumerate(form.metrics, start=FIRST):
            raw = metrics[f"{letter}{row}"].value
            if not (form.period.is_annual and metric.compares_with_prior_year):
                assert raw is None, (form.period.code, metric.kpi_code)
                continue
            filled += 1
            if metric.kind == "rate":
                assert not (isinstance(raw, int | float) and raw < 1), raw
                value, issue = cv.read_percent(raw, fraction_below_one=False)
            elif metric.kind == "ratio":
                value, issue = cv.read_amount(raw)
            else:
                value, issue = cv.read_count(raw, minimum=1 if metric.kind == "rank" else 0)
            assert issue is None and value is not None, raw
    assert filled > 0


def _stated(values: dict, metric) -> float:
    """The value an annual report states (a rate from its numerator and denominator)."""
    if metric.uses_fraction:
        top = cv.read_amount(values["numerator"])[0]
        bottom = cv.read_amount(values["denominator"])[0]
        ratio = top / bottom * (100 if metric.kind == "rate" else 1)
        return round(ratio, 2)
    return cv.read_count(values["value"])[0]


def _prior(values: dict, metric) -> float:
    raw = values["prior_value"]
    if metric.kind == "rate":
        return cv.read_percent(raw, fraction_below_one=False)[0]
    return cv.read_amount(raw)[0]


def test_prior_values_follow_the_target_and_agree_with_last_years_report():
    """In the plan's first year the prior value mostly meets the year-on-year target; later,
    it is what the unit's previous annual report stated."""
    from sample_data.submissions import fill_form

    seed = 20151209
    met = total = 0
    for unit in reporting_units():
        first = fill_form(seed, form_for(unit, "2015Y"), dt.date(2016, 1, 10))
        second = fill_form(seed, form_for(unit, "2016Y"), dt.date(2017, 1, 10))
        for metric in first.form.metrics:
            if not metric.compares_with_prior_year:
                continue
            now, before = first.metrics[metric.kpi_code], second.metrics[metric.kpi_code]
            assert _prior(before, metric) == pytest.approx(_stated(now, metric))
            current, prior = _stated(now, metric), _prior(now, metric)
            target = metric.target_value or 0
            total += 1
            met += {
                "increase_yoy": current > prior,
                "decrease_yoy": current < prior,
                "increase_pp_yoy": current - prior >= target,
                "increase_pct_yoy": current >= prior * (1 + target / 100),
            }[metric.comparator]
    assert total > 0 and met / total >= 0.6
