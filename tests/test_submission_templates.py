"""Submission templates, checked on the written files against the layout contract and the
reporting obligations (every reporting unit and period of one year)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from orchestration.submissions import layout
from orchestration.submissions.filled import FilledForm
from orchestration.submissions.reporting import UnitForm, all_forms, form_for, forms_for
from orchestration.submissions.template_writer import (
    build_workbook,
    template_path,
    write_template,
    write_templates,
)
from orchestration.xlsx_files import save_workbook

YEAR = 2016  # 2015 owes only its 年度总结 (the plan was issued on 2015-12-09)
TASK = {c.key: c.letter for c in layout.TASK_COLUMNS}
METRIC = {c.key: c.letter for c in layout.METRIC_COLUMNS}
FIRST = layout.FIRST_DATA_ROW


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, list[UnitForm], list[Path]]:
    out = tmp_path_factory.mktemp("templates")
    forms = all_forms([YEAR])
    return out, forms, write_templates(forms, out)


@pytest.fixture(scope="module")
def templates(written) -> list[tuple[UnitForm, openpyxl.Workbook]]:
    _, forms, paths = written
    return [(form, openpyxl.load_workbook(path)) for form, path in zip(forms, paths, strict=True)]


def column_values(sheet: Worksheet, letter: str) -> list[object]:
    """Values of one column from the first data row down to the first blank row."""
    values = []
    row = FIRST
    while sheet[f"B{row}"].value is not None:
        values.append(sheet[f"{letter}{row}"].value)
        row += 1
    return values


def validation(sheet: Worksheet, coordinate: str):
    found = [dv for dv in sheet.data_validations.dataValidation if coordinate in dv.sqref]
    assert len(found) == 1, f"{sheet.title}!{coordinate}: {len(found)} validations"
    return found[0]


def test_one_file_per_unit_and_period(written):
    out, forms, paths = written
    assert len(forms) == 35 * 5
    assert paths == [template_path(out, form) for form in forms]
    for form, path in zip(forms, paths, strict=True):
        code = form.period.code
        assert path == out / code / f"{code}_{form.unit_code}_{form.unit_short_name}.xlsx"
        assert path.is_file()


def test_no_template_for_a_period_before_the_plan_was_issued():
    assert {form.period.code for form in all_forms([2015])} == {"2015Y"}
    with pytest.raises(ValueError, match="issued on 2015-12-09"):
        forms_for(2015, ["2015Q3"])


def test_rows_are_the_units_tasks_and_metrics_in_order(templates):
    for form, workbook in templates:
        tasks, metrics = workbook[layout.SHEET_TASKS], workbook[layout.SHEET_METRICS]
        for sheet, columns in ((tasks, layout.TASK_COLUMNS), (metrics, layout.METRIC_COLUMNS)):
            header = [sheet[f"{c.letter}{layout.HEADER_ROW}"].value for c in columns]
            assert header == [c.header for c in columns]
        assert column_values(tasks, TASK["task_no"]) == [t.task_no for t in form.tasks]
        assert column_values(tasks, "A") == list(range(1, len(form.tasks) + 1))
        roles = [layout.ROLE_LABELS[t.role] for t in form.tasks]
        assert column_values(tasks, TASK["role"]) == roles
        assert column_values(tasks, TASK["task_content"]) == [t.content for t in form.tasks]
        assert column_values(metrics, METRIC["kpi_code"]) == [m.kpi_code for m in form.metrics]
        assert column_values(metrics, METRIC["unit"]) == [m.unit for m in form.metrics]
        for deadline in column_values(tasks, TASK["deadline"]):
            assert re.fullmatch(rf"{YEAR}-12-31（{YEAR}年底）", str(deadline))
        for value in column_values(tasks, TASK["status"]) + column_values(metrics, "D"):
            assert value is None  # a blank template


def test_cover_labels_and_prefilled_values(templates):
    for form, workbook in templates:
        cover = workbook[layout.SHEET_COVER]
        for field in layout.COVER_FIELDS:
            assert cover[f"A{field.row}"].value == field.label
        value = {
            f.key: cover[f"{layout.COVER_VALUE_COLUMN}{f.row}"].value for f in layout.COVER_FIELDS
        }
        assert value["reporting_unit_name"] == form.unit_name
        assert value["period_label"] == form.period.label
        assert value["filled_by"] is None and value["filled_on"] is None


def test_meta_sheet_is_very_hidden_and_identifies_the_form(templates):
    for form, workbook in templates:
        assert workbook.sheetnames == [
            layout.SHEET_INSTRUCTIONS,
            layout.SHEET_COVER,
            layout.SHEET_TASKS,
            layout.SHEET_METRICS,
            layout.SHEET_META,
        ]
        meta = workbook[layout.SHEET_META]
        assert meta.sheet_state == "veryHidden"
        pairs = {row[0]: row[1] for row in meta.iter_rows(values_only=True)}
        assert pairs == {
            layout.META_TEMPLATE_VERSION: layout.TEMPLATE_VERSION,
            layout.META_UNIT_CODE: form.unit_code,
            layout.META_PERIOD_CODE: form.period.code,
        }
        visible = [s.title for s in workbook.worksheets if s.sheet_state == "visible"]
        assert workbook.active.title in visible


def test_validations_on_input_cells(templates):
    for form, workbook in templates:
        tasks, metrics = workbook[layout.SHEET_TASKS], workbook[layout.SHEET_METRICS]
        for row in range(FIRST, FIRST + len(form.tasks)):
            status = validation(tasks, f"{TASK['status']}{row}")
            assert status.type == "list" and status.showErrorMessage
            assert status.formula1 == '"' + ",".join(layout.TASK_STATUSES) + '"'
            percent = validation(tasks, f"{TASK['percent_complete']}{row}")
            assert (percent.type, percent.formula1, percent.formula2) == ("decimal", "0", "100")
            completed = validation(tasks, f"{TASK['completed_on']}{row}")
            assert completed.type == "date" and completed.showInputMessage
            assert "2015年12月9日" in completed.prompt and "2015.12.9" in completed.prompt
        for row, metric in enumerate(form.metrics, start=FIRST):
            value = validation(metrics, f"D{row}")
            assert value.showErrorMessage
            if metric.kind == "boolean":
                assert (value.type, value.formula1) == ("list", '"是,否"')
            elif metric.kind == "rank":
                assert (value.type, value.operator, value.formula1) == (
                    "whole",
                    "greaterThanOrEqual",
                    "1",
                )
            elif metric.kind == "count":
                assert (value.type, value.formula1) == ("whole", "0")
            else:
                for letter in "DEF":
                    assert validation(metrics, f"{letter}{row}").type == "decimal"
        cover = workbook[layout.SHEET_COVER]
        date_row = next(f.row for f in layout.COVER_FIELDS if f.key == "filled_on")
        assert validation(cover, f"B{date_row}").type == "date"


def asks_prior(form: UnitForm, metric) -> bool:
    return form.asks_prior_value(metric)


def test_prior_value_asked_only_on_annual_year_on_year_rows(templates):
    """上年数值 (K): an unlocked input with a decimal ≥ 0 validation exactly on the annual
    report's rows of year-on-year metrics; elsewhere locked, grey and without validation."""
    letter = METRIC["prior_value"]
    assert letter == "K"
    asked = 0
    for form, workbook in templates:
        metrics = workbook[layout.SHEET_METRICS]
        assert metrics[f"{letter}{layout.HEADER_ROW}"].value == "上年数值"
        for row, metric in enumerate(form.metrics, start=FIRST):
            cell = metrics[f"{letter}{row}"]
            guidance = metrics[f"{METRIC['guidance']}{row}"].value
            found = [
                dv for dv in metrics.data_validations.dataValidation if cell.coordinate in dv.sqref
            ]
            if asks_prior(form, metric):
                asked += 1
                assert not cell.protection.locked
                assert len(found) == 1
                assert (found[0].type, found[0].operator, found[0].formula1) == (
                    "decimal",
                    "greaterThanOrEqual",
                    "0",
                )
                assert "上年数值" in guidance and "0.85" in guidance  # rule 6: 85 %
            else:
                assert cell.protection.locked
                assert cell.fill.fgColor.rgb.endswith("BFBFBF")
                assert found == []
                assert "上年数值" not in guidance
    # Every reporting unit with a year-on-year metric is asked in the annual report only.
    expected = sum(asks_prior(form, metric) for form, _ in templates for metric in form.metrics)
    assert asked == expected > 0


def test_input_cells_unlocked_everything_else_locked(templates):
    for form, workbook in templates:
        tasks, metrics = workbook[layout.SHEET_TASKS], workbook[layout.SHEET_METRICS]
        for row in range(FIRST, FIRST + len(form.tasks)):
            for column in layout.TASK_COLUMNS:
                assert tasks[f"{column.letter}{row}"].protection.locked is not column.editable
        for row, metric in enumerate(form.metrics, start=FIRST):
            for column in layout.METRIC_COLUMNS:
                editable = column.editable
                if column.key in ("numerator", "denominator"):
                    editable = metric.uses_fraction
                if column.key == "prior_value":
                    editable = asks_prior(form, metric)
                assert metrics[f"{column.letter}{row}"].protection.locked is not editable
        for sheet in (tasks, metrics):
            assert all(cell.protection.locked for cell in sheet[layout.HEADER_ROW])
        cover = workbook[layout.SHEET_COVER]
        for field in layout.COVER_FIELDS:
            assert cover[f"A{field.row}"].protection.locked
            assert cover[f"B{field.row}"].protection.locked is field.prefilled
        assert all(sheet.protection.sheet for sheet in workbook.worksheets)
        assert workbook.security is not None and workbook.security.lockStructure


def test_title_rows_merged_and_print_setup(templates):
    for form, workbook in templates:
        for name, last in (
            (layout.SHEET_COVER, "C"),
            (layout.SHEET_TASKS, "J"),
            (layout.SHEET_METRICS, "K"),
        ):
            sheet = workbook[name]
            assert f"A1:{last}1" in {str(r) for r in sheet.merged_cells.ranges}
            title = sheet["A1"].value
            assert title.startswith(layout.TITLE)
            assert form.unit_short_name in title and form.period.label in title
            assert sheet["A2"].value == f"填报单位：{form.unit_name}"
            assert "填报日期：" in [cell.value for cell in sheet[2]]
            assert sheet.column_dimensions[last].width > 0
        metrics = workbook[layout.SHEET_METRICS]
        assert "H2:K2" in {str(r) for r in metrics.merged_cells.ranges}
        for name in (layout.SHEET_TASKS, layout.SHEET_METRICS):
            sheet = workbook[name]
            assert sheet.freeze_panes == f"A{FIRST}"
            assert sheet.page_setup.orientation == "landscape"
            assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4)
            assert int(sheet.page_setup.fitToWidth) == 1
            assert sheet.sheet_properties.pageSetUpPr.fitToPage
            assert sheet.print_title_rows == "$1:$3"
            header = sheet[f"A{layout.HEADER_ROW}"]
            assert header.font.bold and header.border.left.style == "thin"


def test_instructions_first_with_due_date(templates):
    form, workbook = templates[0]
    sheet = workbook.worksheets[0]
    assert sheet.title == layout.SHEET_INSTRUCTIONS
    text = "\n".join(str(cell.value) for cell in sheet["A"] if cell.value)
    due = form.period.due
    assert f"{due.year}年{due.month}月{due.day}日" in text
    for phrase in ("已完成", "完成日期", "92%", "2015年12月9日", "2015.12.9", "raw/submissions/"):
        assert phrase in text
    assert "上年数值" in text


def test_filled_values_are_written_as_typed(tmp_path):
    form = form_for("SZJJ", "2015Q4")
    task_no = form.tasks[0].task_no
    codes = {m.kind: m.kpi_code for m in form.metrics}
    filled = FilledForm(
        form=form,
        cover={"filled_by": "张伟", "filled_on": "2015年12月9日", "period_label": "2015年第四季"},
        tasks={
            task_no: {
                "status": "已完成",
                "percent_complete": "９２",
                "completed_on": dt.date(2015, 12, 9),
                "evidence": "=会议纪要",
            },
            form.tasks[1].task_no: {"completed_on": 42347, "percent_complete": 0.92},
        },
        metrics={
            codes["count"]: {"value": "1,234"},
            codes["rate"]: {"value": "92%", "numerator": 0.5, "denominator": 42347},
        },
        extra_task_rows=[{"task_no": 18, "status": "进行中", "completed_on": "2015.12.9"}],
        meta_overrides={layout.META_UNIT_CODE: "SNYJ"},
    )
    path = tmp_path / "filled.xlsx"
    save_workbook(path, build_workbook(form, filled))
    workbook = openpyxl.load_workbook(path)
    tasks, metrics = workbook[layout.SHEET_TASKS], workbook[layout.SHEET_METRICS]
    cover = workbook[layout.SHEET_COVER]
    assert (cover["B4"].value, cover["B5"].value, cover["B8"].value) == (
        "2015年第四季",
        "张伟",
        "2015年12月9日",
    )
    assert tasks[f"F{FIRST}"].value == "已完成"
    assert tasks[f"G{FIRST}"].value == "９２"
    assert tasks[f"J{FIRST}"].value == dt.datetime(2015, 12, 9)
    assert tasks[f"I{FIRST}"].value == "=会议纪要" and tasks[f"I{FIRST}"].data_type == "s"
    # An Excel serial number stays a number (not turned into a date by the date format).
    assert [tasks[f"{c}{FIRST + 1}"].value for c in "GJ"] == [0.92, 42347]
    extra = FIRST + len(form.tasks)
    assert [tasks[f"{c}{extra}"].value for c in "ABFJ"] == [
        len(form.tasks) + 1,
        18,
        "进行中",
        "2015.12.9",
    ]
    rows = {metrics[f"B{r}"].value: r for r in range(FIRST, FIRST + len(form.metrics))}
    assert metrics[f"D{rows[codes['count']]}"].value == "1,234"
    rate_row = rows[codes["rate"]]
    assert [metrics[f"{c}{rate_row}"].value for c in "DEF"] == ["92%", 0.5, 42347]
    meta = {row[0]: row[1] for row in workbook[layout.SHEET_META].iter_rows(values_only=True)}
    assert meta[layout.META_UNIT_CODE] == "SNYJ"
    assert meta[layout.META_PERIOD_CODE] == "2015Q4"


def test_filled_prior_value_is_written_as_typed(tmp_path):
    form = form_for("SZJJ", "2015Y")
    yoy = [m.kpi_code for m in form.metrics if m.compares_with_prior_year]
    assert len(yoy) >= 2
    filled = FilledForm(
        form=form, metrics={yoy[0]: {"prior_value": "8.5%"}, yoy[1]: {"prior_value": 8.5}}
    )
    path = tmp_path / "filled.xlsx"
    save_workbook(path, build_workbook(form, filled))
    metrics = openpyxl.load_workbook(path)[layout.SHEET_METRICS]
    rows = {metrics[f"B{r}"].value: r for r in range(FIRST, FIRST + len(form.metrics))}
    assert metrics[f"K{rows[yoy[0]]}"].value == "8.5%"
    assert metrics[f"K{rows[yoy[1]]}"].value == 8.5


def test_filled_form_must_match(tmp_path):
    with pytest.raises(ValueError):
        build_workbook(form_for("SZJJ", "2015Q1"), FilledForm(form=form_for("SZJJ", "2015Q2")))


def test_same_form_same_bytes(tmp_path):
    form = form_for("GOV_131081", "2015Y")
    first = write_template(form, tmp_path / "a.xlsx")
    second = write_template(form, tmp_path / "b.xlsx")
    assert first.read_bytes() == second.read_bytes()


def test_templates_asset_writes_one_file_per_unit_for_the_chosen_period(
    isolated_env: Path,
) -> None:
    from dagster import materialize

    from orchestration.defs.submissions.assets import submission_templates
    from orchestration.submissions.reporting import reporting_units

    result = materialize(
        [submission_templates],
        run_config={
            "ops": {"submissions__templates": {"config": {"year": 2016, "periods": ["2016Q1"]}}}
        },
    )
    assert result.success
    written = sorted((isolated_env / "warehouse" / "templates" / "2016Q1").glob("*.xlsx"))
    assert len(written) == len(reporting_units())
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["templates"].value == len(written)
