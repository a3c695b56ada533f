"""A corpus of workbooks filled the way people really fill them, each with the outcome the
intake owes it: accepted with exact values, refused naming the cell (or the file) and the
reason, or returned for confirmation (a plausible-looking value far from history or range).

Deterministic: every case is a small edit of `complete(form)` (tests/submission_helpers.py),
made at one of three levels: the typed values (FilledForm), the saved workbook (openpyxl,
what a person does in Excel: insert a column, merge cells, rename a sheet), or the xlsx parts
(a formula with or without its saved value). Two cases are the committed office round-trip
files in tests/data/submissions/. tests/test_submission_corpus.py runs them all through the
real intake; docs/feeds/submissions.md shows the counts (`summary_table`)."""

from __future__ import annotations

import re
import shutil
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from orchestration.submissions import layout
from orchestration.submissions.filled import FilledForm
from orchestration.submissions.reporting import UnitForm, form_for
from tests.submission_helpers import complete, write

DATA = Path(__file__).parent / "data" / "submissions"
ACCEPTED, REFUSED, CONFIRM = "accepted", "refused", "confirm"
OUTCOME_LABELS = {
    ACCEPTED: "受理，数值逐一核对无误",
    REFUSED: "拒收或退回，指明单元格（或文件）和原因",
    CONFIRM: "退回核实（数值需确认）",
}

SZJJ = form_for("SZJJ", "2015Y")
SZJJ_2016 = form_for("SZJJ", "2016Y")
SJTJ = form_for("SJTJ", "2015Y")
COUNTY = form_for("GOV_131022", "2015Y")
COUNTY_Q = form_for("GOV_131022", "2016Q1")
RATE = "INTL_STANDARD_ADOPTION_RATE"  # yoy rate: 分子/分母 and 上年数值
COUNT = "HUNDRED_ORGS_AWARD_APPLICATIONS"  # 0–5000
BIG_COUNT = "THOUSAND_ORGS_QM_ADOPTION"  # 0–50000
SMALL_COUNT = "PE_DEMO_UNITS"  # 0–100
STANDARDS = "NEW_MEASUREMENT_STANDARDS"  # 0–1000
RANK = "MFG_QCI_PROVINCE_RANK"  # 1–11
BOOL = "QUALITY_ANALYSIS_REPORT"
BUSES = "BUSES_PER_10K_RESIDENTS"  # 辆/万人, 分母 in 万人
TASK = SZJJ.tasks[0].task_no
TASK_2 = SZJJ.tasks[1].task_no

Key = tuple[
    str, Any, str
]  # ("metric", kpi, column) | ("task", task_no, column) | ("cover", "", column)


@dataclass(frozen=True)
class Case:
    name: str
    what: str  # what the person did, for the docs
    outcome: str  # ACCEPTED | REFUSED | CONFIRM
    form: UnitForm = SZJJ
    fill: Callable[[FilledForm], None] | None = None
    edit: Callable[[Workbook], None] | None = None
    patch: Callable[[Path], None] | None = None
    fixture: str | None = None  # a committed file in tests/data/submissions
    expect: dict[Key, Any] = field(default_factory=dict)  # accepted: loaded values
    cell: str | None = None  # refused/confirm: "指标填报!D7"; None for the whole file
    reason: str = ""  # a part of the message
    history: tuple[tuple[UnitForm, Callable[[FilledForm], None]], ...] = ()  # accepted before
    # A value 10× the corpus's usual one would be judged against the shared warehouse's
    # history of earlier cases: such a case gets a warehouse of its own.
    own_warehouse: bool = False


def metric_row(form: UnitForm, kpi: str) -> int:
    return layout.FIRST_DATA_ROW + [m.kpi_code for m in form.metrics].index(kpi)


def task_row(form: UnitForm, task_no: int) -> int:
    return layout.FIRST_DATA_ROW + [t.task_no for t in form.tasks].index(task_no)


def _letter(columns: tuple[layout.Column, ...], key: str) -> str:
    return layout.column(columns, key).letter


def m_cell(kpi: str, key: str, form: UnitForm = SZJJ) -> str:
    return f"{layout.SHEET_METRICS}!{_letter(layout.METRIC_COLUMNS, key)}{metric_row(form, kpi)}"


def t_cell(task_no: int, key: str, form: UnitForm = SZJJ) -> str:
    return f"{layout.SHEET_TASKS}!{_letter(layout.TASK_COLUMNS, key)}{task_row(form, task_no)}"


# ------------------------------------------------------------------ typed-value edits


def metric(kpi: str, **cells: Any) -> Callable[[FilledForm], None]:
    return lambda filled: filled.metrics[kpi].update(cells)


def metrics(**by_kpi: dict[str, Any]) -> Callable[[FilledForm], None]:
    def apply(filled: FilledForm) -> None:
        for kpi, cells in by_kpi.items():
            filled.metrics[kpi].update(cells)

    return apply


def task(task_no: int = TASK, **cells: Any) -> Callable[[FilledForm], None]:
    return lambda filled: filled.tasks[task_no].update(cells)


def in_progress(percent: Any) -> Callable[[FilledForm], None]:
    return task(
        status="进行中", percent_complete=percent, completed_on=None, progress_text="正在推进"
    )


def done_on(typed: Any) -> Callable[[FilledForm], None]:
    return task(completed_on=typed)


def cover(**cells: Any) -> Callable[[FilledForm], None]:
    return lambda filled: filled.cover.update(cells)


def rate(typed_value: Any = None, **cells: Any) -> Callable[[FilledForm], None]:
    base = {"numerator": 45, "denominator": 50}
    if typed_value is not None:
        base["value"] = typed_value
    return metric(RATE, **base, **cells)


# ------------------------------------------------------------------ workbook edits (openpyxl)


def sheet_edit(name: str, change: Callable[[Any], None]) -> Callable[[Workbook], None]:
    def apply(workbook: Workbook) -> None:
        change(workbook[name])

    return apply


def set_cells(name: str, values: dict[str, Any], number_format: str | None = None):
    def change(sheet: Any) -> None:
        for ref, value in values.items():
            sheet[ref] = value
            if number_format:
                sheet[ref].number_format = number_format

    return sheet_edit(name, change)


def swap_columns(name: str, first: str, second: str):
    def change(sheet: Any) -> None:
        for row in range(layout.HEADER_ROW, sheet.max_row + 1):
            a, b = sheet[f"{first}{row}"], sheet[f"{second}{row}"]
            a.value, b.value = b.value, a.value

    return sheet_edit(name, change)


def swap_rows(name: str, first: int, second: int):
    def change(sheet: Any) -> None:
        for column in range(1, sheet.max_column + 1):
            a, b = sheet.cell(first, column), sheet.cell(second, column)
            a.value, b.value = b.value, a.value

    return sheet_edit(name, change)


def reorder_sheets(workbook: Workbook) -> None:
    workbook.move_sheet(layout.SHEET_METRICS, offset=-2)


def hide_metrics(workbook: Workbook) -> None:
    workbook[layout.SHEET_METRICS].sheet_state = "hidden"


def extra_sheet(workbook: Workbook) -> None:
    notes = workbook.create_sheet("Sheet1")
    notes["A1"] = "备忘：指标数据来自统计年报"
    notes["B2"] = 12345


def rename_metrics(workbook: Workbook) -> None:
    workbook[layout.SHEET_METRICS].title = "指标"


def drop_meta(workbook: Workbook) -> None:
    del workbook[layout.SHEET_META]


# ------------------------------------------------------------------ xlsx-part edits


def formula(sheet_index: int, ref: str, text: str, cached: str | None, kind: str = ""):
    """Replace one cell by a formula, with a saved value (as Excel, WPS, LibreOffice write)
    or without (as a script writes). Sheets: 1 填报说明 … 4 指标填报."""

    def apply(path: Path) -> None:
        part = f"xl/worksheets/sheet{sheet_index}.xml"
        with zipfile.ZipFile(path) as source:
            entries = [(i, source.read(i.filename)) for i in source.infolist()]
        value = f"<v>{cached}</v>" if cached is not None else ""
        typed = f' t="{kind}"' if kind else ""
        new_cell = f'<c r="{ref}"{typed}><f>{text}</f>{value}</c>'
        pattern = re.compile(rf'<c r="{ref}"(?:\s[^>]*?)?(?:/>|>.*?</c>)')
        temporary = path.with_suffix(".tmp")
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as target:
            for info, data in entries:
                if info.filename == part:
                    xml, count = pattern.subn(new_cell, data.decode("utf-8"), count=1)
                    assert count == 1, ref
                    data = xml.encode("utf-8")
                target.writestr(info, data)
        temporary.replace(path)

    return apply


# ------------------------------------------------------------------ the corpus

R_RATE, R_COUNT = metric_row(SZJJ, RATE), metric_row(SZJJ, COUNT)
M = layout.SHEET_METRICS
T = layout.SHEET_TASKS
CONFIRMED = layout.CONFIRMATION_CODE


def _cases() -> list[Case]:
    c = Case
    return [
        # ---------------------------------------------------------- accepted, exact values
        c("clean", "按要求填写", ACCEPTED, expect={("metric", COUNT, "value"): 12.0}),
        c(
            "pct_fraction",
            "完成百分比写 0.6",
            ACCEPTED,
            fill=in_progress(0.6),
            expect={("task", TASK, "percent_complete"): 60.0},
        ),
        c(
            "pct_plain",
            "完成百分比写 60",
            ACCEPTED,
            fill=in_progress(60),
            expect={("task", TASK, "percent_complete"): 60.0},
        ),
        c(
            "pct_sign",
            "完成百分比写 60%",
            ACCEPTED,
            fill=in_progress("60%"),
            expect={("task", TASK, "percent_complete"): 60.0},
        ),
        c(
            "pct_fullwidth",
            "完成百分比写全角 ６０％",
            ACCEPTED,
            fill=in_progress("６０％"),
            expect={("task", TASK, "percent_complete"): 60.0},
        ),
        c(
            "pct_space",
            "完成百分比写 60 %",
            ACCEPTED,
            fill=in_progress("60 %"),
            expect={("task", TASK, "percent_complete"): 60.0},
        ),
        c(
            "rate_fraction",
            "比率本期数值写 0.9（分子45/分母50）",
            ACCEPTED,
            fill=rate(0.9),
            expect={("metric", RATE, "value_entered"): 90.0, ("metric", RATE, "value"): 90.0},
        ),
        c(
            "rate_percent",
            "比率本期数值写 90%",
            ACCEPTED,
            fill=rate("90%"),
            expect={("metric", RATE, "value_entered"): 90.0},
        ),
        c(
            "rate_plain",
            "比率本期数值写 90",
            ACCEPTED,
            fill=rate(90),
            expect={("metric", RATE, "value_entered"): 90.0},
        ),
        c(
            "prior_fraction",
            "上年数值写 0.85（第6条：0.92即92%）",
            ACCEPTED,
            fill=rate(prior_value="0.85"),
            expect={("metric", RATE, "prior_value"): 85.0},
        ),
        c(
            "prior_plain",
            "上年数值写 85",
            ACCEPTED,
            fill=rate(prior_value=85),
            expect={("metric", RATE, "prior_value"): 85.0},
        ),
        c(
            "prior_fullwidth",
            "上年数值写全角 ８５％",
            ACCEPTED,
            fill=rate(prior_value="８５％"),
            expect={("metric", RATE, "prior_value"): 85.0},
        ),
        c(
            "count_fullwidth",
            "计数写全角 １２０",
            ACCEPTED,
            fill=metric(COUNT, value="１２０"),
            expect={("metric", COUNT, "value"): 120.0},
        ),
        c(
            "count_thousands",
            "计数写 1,200",
            ACCEPTED,
            fill=metric(BIG_COUNT, value="1,200"),
            own_warehouse=True,
            expect={("metric", BIG_COUNT, "value"): 1200.0},
        ),
        c(
            "count_fw_thousands",
            "计数写全角 １，２００",
            ACCEPTED,
            fill=metric(BIG_COUNT, value="１，２００"),
            own_warehouse=True,
            expect={("metric", BIG_COUNT, "value"): 1200.0},
        ),
        c(
            "count_text",
            "计数以文本存储 '12'",
            ACCEPTED,
            fill=metric(COUNT, value="12"),
            expect={("metric", COUNT, "value"): 12.0},
        ),
        c(
            "count_float",
            "计数为 12.0",
            ACCEPTED,
            fill=metric(COUNT, value=12.0),
            expect={("metric", COUNT, "value"): 12.0},
        ),
        c(
            "numerator_fullwidth",
            "分子写全角 ４５",
            ACCEPTED,
            fill=metric(RATE, numerator="４５", denominator=50),
            expect={("metric", RATE, "numerator"): 45.0, ("metric", RATE, "value"): 90.0},
        ),
        c(
            "date_iso",
            "完成日期写 2015-11-30",
            ACCEPTED,
            fill=done_on("2015-11-30"),
            expect={("task", TASK, "completed_on"): date(2015, 11, 30)},
        ),
        c(
            "date_slash",
            "完成日期写 2015/11/30",
            ACCEPTED,
            fill=done_on("2015/11/30"),
            expect={("task", TASK, "completed_on"): date(2015, 11, 30)},
        ),
        c(
            "date_dots",
            "完成日期写 2015.11.30",
            ACCEPTED,
            fill=done_on("2015.11.30"),
            expect={("task", TASK, "completed_on"): date(2015, 11, 30)},
        ),
        c(
            "date_chinese",
            "完成日期写 2015年11月30日",
            ACCEPTED,
            fill=done_on("2015年11月30日"),
            expect={("task", TASK, "completed_on"): date(2015, 11, 30)},
        ),
        c(
            "date_digits_text",
            "完成日期写文本 20151130",
            ACCEPTED,
            fill=done_on("20151130"),
            expect={("task", TASK, "completed_on"): date(2015, 11, 30)},
        ),
        c(
            "date_digits_number",
            "完成日期写数字 20151130（常规格式）",
            ACCEPTED,
            fill=done_on(20151130),
            expect={("task", TASK, "completed_on"): date(2015, 11, 30)},
        ),
        c(
            "date_digits_in_date_cell",
            "日期格式单元格里输入 20151130",
            ACCEPTED,
            edit=set_cells(T, {f"J{task_row(SZJJ, TASK)}": 20151130}, "yyyy-mm-dd"),
            expect={("task", TASK, "completed_on"): date(2015, 11, 30)},
        ),
        c(
            "date_serial_in_date_cell",
            "日期格式单元格里是序列号 42338",
            ACCEPTED,
            edit=set_cells(T, {f"J{task_row(SZJJ, TASK)}": 42338}, "yyyy-mm-dd"),
            expect={("task", TASK, "completed_on"): date(2015, 11, 30)},
        ),
        c(
            "date_serial_general",
            "完成日期写序列号 42338（常规格式）",
            ACCEPTED,
            fill=done_on(42338),
            expect={("task", TASK, "completed_on"): date(2015, 11, 30)},
        ),
        c(
            "date_chinese_format_cell",
            "中文长日期格式的日期单元格",
            ACCEPTED,
            edit=set_cells(
                T, {f"J{task_row(SZJJ, TASK)}": date(2015, 11, 30)}, 'yyyy"年"m"月"d"日"'
            ),
            expect={("task", TASK, "completed_on"): date(2015, 11, 30)},
        ),
        c(
            "cover_date_chinese",
            "填报日期写 2015年12月31日",
            ACCEPTED,
            fill=cover(filled_on="2015年12月31日"),
            expect={("cover", "", "filled_on"): date(2015, 12, 31)},
        ),
        c(
            "phone_number",
            "手机号以数字存储",
            ACCEPTED,
            fill=cover(phone=13812345678),
            expect={("cover", "", "phone"): "13812345678"},
        ),
        c(
            "bool_tick",
            "是否写 √",
            ACCEPTED,
            fill=metric(BOOL, value="√"),
            expect={("metric", BOOL, "value"): 1.0},
        ),
        c(
            "bool_no",
            "是否写 否",
            ACCEPTED,
            fill=metric(BOOL, value="否"),
            expect={("metric", BOOL, "value"): 0.0},
        ),
        c(
            "bool_y",
            "是否写 Y",
            ACCEPTED,
            fill=metric(BOOL, value="Y"),
            expect={("metric", BOOL, "value"): 1.0},
        ),
        c(
            "merged_task_cells",
            "合并了工作进展情况和佐证材料两格",
            ACCEPTED,
            edit=sheet_edit(
                T, lambda s: s.merge_cells(f"H{task_row(SZJJ, TASK)}:I{task_row(SZJJ, TASK)}")
            ),
            expect={
                ("task", TASK, "progress_text"): "按计划完成",
                ("task", TASK, "evidence"): None,
            },
        ),
        c(
            "merged_value_cells",
            "把计数的本期数值和（灰色）分子两格合并",
            ACCEPTED,
            edit=sheet_edit(M, lambda s: s.merge_cells(f"D{R_COUNT}:E{R_COUNT}")),
            expect={("metric", COUNT, "value"): 12.0},
        ),
        c(
            "blank_rows_below",
            "表格下方多出几行空格（只有空格字符）",
            ACCEPTED,
            edit=set_cells(
                M, {f"J{metric_row(SZJJ, RANK) + len(SZJJ.metrics) + k}": "  " for k in range(3)}
            ),
            expect={("metric", COUNT, "value"): 12.0},
        ),
        c(
            "sheets_reordered",
            "调整了工作表顺序",
            ACCEPTED,
            edit=reorder_sheets,
            expect={("metric", COUNT, "value"): 12.0},
        ),
        c(
            "sheet_hidden",
            "隐藏了指标填报工作表",
            ACCEPTED,
            edit=hide_metrics,
            expect={("metric", COUNT, "value"): 12.0},
        ),
        c(
            "extra_sheet",
            "另加了一个备忘工作表",
            ACCEPTED,
            edit=extra_sheet,
            expect={("metric", COUNT, "value"): 12.0},
        ),
        c(
            "libreoffice",
            "用 LibreOffice 打开并另存（含公式、全角数字、点分日期）",
            ACCEPTED,
            fixture="libreoffice_resaved.xlsx",
            expect=_office_expect(),
        ),
        c(
            "wps",
            "用 WPS 表格另存（仿真：文档属性、中文日期格式、￥数字格式）",
            ACCEPTED,
            fixture="wps_style.xlsx",
            expect=_office_expect(),
        ),
        c(
            "formula_cached",
            "计数单元格是带计算结果的公式 =100+20",
            ACCEPTED,
            patch=formula(4, f"D{R_COUNT}", "100+20", "120"),
            expect={("metric", COUNT, "value"): 120.0},
        ),
        c(
            "rate_formula_cached",
            "本期数值是带计算结果的公式 =E/F",
            ACCEPTED,
            patch=formula(4, f"D{R_RATE}", f"E{R_RATE}/F{R_RATE}", "0.9"),
            expect={("metric", RATE, "value_entered"): 90.0},
        ),
        c(
            "note_text",
            "备注写了说明",
            ACCEPTED,
            fill=metric(COUNT, note="含已公示待批复项目"),
            expect={("metric", COUNT, "note"): "含已公示待批复项目"},
        ),
        c(
            "persons_confirmed",
            "分母按人填写，并在备注确认",
            ACCEPTED,
            form=SJTJ,
            fill=metric(BUSES, numerator=1200, denominator=2700000, note=CONFIRMED),
            expect={
                ("metric", BUSES, "denominator"): 2700000.0,
                ("metric", BUSES, "value"): round(1200 / 2700000, 6),
            },
        ),
        c(
            "prior_far_confirmed",
            "上年数值 9% 与本期 90% 相差十倍，备注“确认: 数值无误”",
            ACCEPTED,
            fill=rate(prior_value="9%", note="确认: 数值无误"),
            expect={("metric", RATE, "prior_value"): 9.0},
        ),
        c(
            "quarter_blank",
            "季报中指标暂不填写",
            ACCEPTED,
            form=COUNTY_Q,
            fill=lambda f: f.metrics.clear(),
            expect={("metric", "COUNTY_QUALITY_MEETINGS", "value"): None},
        ),
        c(
            "history_plausible",
            "与上年已受理数值相近（120 → 150）",
            ACCEPTED,
            form=SZJJ_2016,
            fill=metric(COUNT, value=150),
            history=((SZJJ, metric(COUNT, value=120)),),
            expect={("metric", COUNT, "value"): 150.0},
        ),
        # ---------------------------------------------------------- refused: cell and reason
        c(
            "unit_typo_count",
            "计数写成 12项",
            REFUSED,
            fill=metric(COUNT, value="12项"),
            cell=m_cell(COUNT, "value"),
            reason="“12项” is not a number",
        ),
        c(
            "unit_typo_space",
            "计数写成 120 个",
            REFUSED,
            fill=metric(COUNT, value="120 个"),
            cell=m_cell(COUNT, "value"),
            reason="is not a number",
        ),
        c(
            "unit_in_denominator",
            "分母写成 85万人",
            REFUSED,
            form=SJTJ,
            fill=metric(BUSES, numerator=800, denominator="85万人"),
            cell=m_cell(BUSES, "denominator", SJTJ),
            reason="“85万人” is not a number",
        ),
        c(
            "text_about",
            "计数写成 约120",
            REFUSED,
            fill=metric(COUNT, value="约120"),
            cell=m_cell(COUNT, "value"),
            reason="“约120” is not a number",
        ),
        c(
            "text_none",
            "计数写成 无",
            REFUSED,
            fill=metric(COUNT, value="无"),
            cell=m_cell(COUNT, "value"),
            reason="“无” is not a number",
        ),
        c(
            "count_decimal",
            "计数写成 12.5",
            REFUSED,
            fill=metric(COUNT, value=12.5),
            cell=m_cell(COUNT, "value"),
            reason="not a whole number",
        ),
        c(
            "count_negative",
            "计数写成 -3",
            REFUSED,
            fill=metric(COUNT, value="-3"),
            cell=m_cell(COUNT, "value"),
            reason="is below 0",
        ),
        c(
            "thousands_bad",
            "千分位写成 1,20",
            REFUSED,
            fill=metric(COUNT, value="1,20"),
            cell=m_cell(COUNT, "value"),
            reason="“1,20” is not a number",
        ),
        c(
            "pct_over",
            "完成百分比写 120",
            REFUSED,
            fill=in_progress(120),
            cell=t_cell(TASK, "percent_complete"),
            reason="outside 0–100",
        ),
        c(
            "numerator_gt",
            "分子分母写反（50/45）",
            REFUSED,
            fill=metric(RATE, numerator=50, denominator=45),
            cell=m_cell(RATE, "numerator"),
            reason="greater than 分母",
        ),
        c(
            "value_mismatch",
            "本期数值 80 与分子/分母不符",
            REFUSED,
            fill=rate(80),
            cell=m_cell(RATE, "value"),
            reason="does not match 分子/分母",
        ),
        c(
            "date_impossible",
            "完成日期写 2015-11-31",
            REFUSED,
            fill=done_on("2015-11-31"),
            cell=t_cell(TASK, "completed_on"),
            reason="not a valid calendar date",
        ),
        c(
            "date_no_year",
            "完成日期写 11月30日",
            REFUSED,
            fill=done_on("11月30日"),
            cell=t_cell(TASK, "completed_on"),
            reason="“11月30日” is not a date: write it as",
        ),
        c(
            "date_word",
            "完成日期写 年底",
            REFUSED,
            fill=done_on("年底"),
            cell=t_cell(TASK, "completed_on"),
            reason="“年底” is not a date",
        ),
        c(
            "date_bad_digits_in_date_cell",
            "日期格式单元格里输入 20151332",
            REFUSED,
            edit=set_cells(T, {f"J{task_row(SZJJ, TASK)}": 20151332}, "yyyy-mm-dd"),
            cell=t_cell(TASK, "completed_on"),
            reason="“20151332” is not a valid calendar date",
        ),
        c(
            "date_decimal_in_date_cell",
            "日期格式单元格里输入 2015.1130",
            REFUSED,
            edit=set_cells(T, {f"J{task_row(SZJJ, TASK)}": 2015.113}, "yyyy-mm-dd"),
            cell=t_cell(TASK, "completed_on"),
            reason="“2015.113” is not a date",
        ),
        c(
            "formula_uncached",
            "脚本写入的公式没有计算结果（未经 Excel/WPS 保存）",
            REFUSED,
            fixture="openpyxl_original.xlsx",
            cell=m_cell(RATE, "value"),
            reason="没有保存计算结果",
        ),
        c(
            "formula_uncached_count",
            "计数单元格是没有计算结果的公式",
            REFUSED,
            patch=formula(4, f"D{R_COUNT}", "100+20", None),
            cell=m_cell(COUNT, "value"),
            reason="请用 Excel 或 WPS 打开本文件",
        ),
        c(
            "formula_error",
            "公式结果为 #DIV/0!",
            REFUSED,
            patch=formula(4, f"D{R_COUNT}", "1/0", "#DIV/0!", "e"),
            cell=m_cell(COUNT, "value"),
            reason="“#DIV/0!” is not a number",
        ),
        c(
            "col_inserted_before_g",
            "在G列前插入了一空列",
            REFUSED,
            edit=sheet_edit(M, lambda s: s.insert_cols(7)),
            reason="指标填报：在G列前插入了一列",
        ),
        c(
            "col_deleted_k",
            "删除了上年数值列",
            REFUSED,
            edit=sheet_edit(M, lambda s: s.delete_cols(11)),
            reason="删除了K列（上年数值）",
        ),
        c(
            "col_deleted_f",
            "删除了分母列",
            REFUSED,
            edit=sheet_edit(M, lambda s: s.delete_cols(6)),
            reason="删除了F列（分母）",
        ),
        c(
            "col_inserted_tasks_a",
            "任务进展A列前插入一列",
            REFUSED,
            edit=sheet_edit(T, lambda s: s.insert_cols(1)),
            reason="任务进展：在A列前插入了一列",
        ),
        c(
            "cols_swapped",
            "本期数值与分子两列对调",
            REFUSED,
            edit=swap_columns(M, "D", "E"),
            reason="D列（本期数值）被移到了E列",
        ),
        c(
            "col_added_right",
            "在表格右侧加了一列“说明”",
            REFUSED,
            edit=set_cells(M, {"L3": "说明", f"L{R_COUNT}": "数据来自年报"}),
            reason="在K列后增加了一列",
        ),
        c(
            "data_right_of_form",
            "在表格右侧空白处写了数",
            REFUSED,
            edit=set_cells(M, {f"L{R_COUNT}": 120}),
            reason="在K列右侧增加了内容",
        ),
        c(
            "row_inserted_metrics",
            "指标行之间插入一空行",
            REFUSED,
            edit=sheet_edit(M, lambda s: s.insert_rows(R_RATE + 1)),
            reason=f"第{R_RATE + 1}行前插入了一行",
        ),
        c(
            "row_inserted_tasks",
            "任务行之间插入一行写说明",
            REFUSED,
            edit=sheet_edit(T, lambda s: (s.insert_rows(5), s.__setitem__("C5", "补充说明"))),
            reason="任务进展：第5行前插入了一行",
        ),
        c(
            "row_deleted_metrics",
            "删除了一行指标",
            REFUSED,
            edit=sheet_edit(M, lambda s: s.delete_rows(R_COUNT)),
            reason=f"删除了第{R_COUNT}行（指标 {COUNT}）",
        ),
        c(
            "rows_swapped",
            "两行指标整行对调",
            REFUSED,
            edit=swap_rows(M, R_RATE, R_RATE + 1),
            reason="被移到了",
        ),
        c(
            "row_above_header",
            "表头上方插入一行",
            REFUSED,
            edit=sheet_edit(M, lambda s: s.insert_rows(1)),
            reason="第3行（表头）前插入了一行",
        ),
        c(
            "cover_row_inserted",
            "封面第5行前插入一行",
            REFUSED,
            edit=sheet_edit(layout.SHEET_COVER, lambda s: s.insert_rows(5)),
            reason="封面：第5行前插入了一行",
        ),
        c(
            "header_changed",
            "改写了表头 本期数值（万元）",
            REFUSED,
            edit=set_cells(M, {"D3": "本期数值（万元）"}),
            reason="D3 的表头应为“本期数值”",
        ),
        c(
            "sheet_renamed",
            "指标填报改名为 指标",
            REFUSED,
            edit=rename_metrics,
            reason="sheet '指标填报' is missing",
        ),
        c(
            "meta_deleted",
            "复制内容到新建工作簿（没有隐藏的 _meta）",
            REFUSED,
            edit=drop_meta,
            reason="no hidden _meta sheet",
        ),
        c(
            "task_not_held",
            "县政府多填了一行不承担的任务",
            REFUSED,
            form=COUNTY,
            fill=lambda f: f.extra_task_rows.append(
                {"task_no": 13, "status": "进行中", "progress_text": "参与", "percent_complete": 50}
            ),
            cell=f"{T}!B{layout.FIRST_DATA_ROW + len(COUNTY.tasks)}",
            reason="does not hold task 13",
        ),
        c(
            "duplicate_row",
            "表格下方重复填了一行同一任务",
            REFUSED,
            fill=lambda f: f.extra_task_rows.append(
                {"task_no": TASK, "status": "进行中", "progress_text": "重复"}
            ),
            cell=f"{T}!B{layout.FIRST_DATA_ROW + len(SZJJ.tasks)}",
            reason="already given in row",
        ),
        c(
            "status_unknown",
            "进展状态写 基本完成",
            REFUSED,
            fill=task(status="基本完成"),
            cell=t_cell(TASK, "status"),
            reason="“基本完成” is not a status",
        ),
        c(
            "completed_no_date",
            "已完成但没写完成日期",
            REFUSED,
            fill=done_on(None),
            cell=t_cell(TASK, "completed_on"),
            reason="已完成 needs a 完成日期",
        ),
        c(
            "annual_blank",
            "年度总结漏填一个指标",
            REFUSED,
            fill=metric(COUNT, value=None),
            cell=m_cell(COUNT, "value"),
            reason="required in the annual report",
        ),
        c(
            "bool_vague",
            "是否写 差不多",
            REFUSED,
            fill=metric(BOOL, value="差不多"),
            cell=m_cell(BOOL, "value"),
            reason="“差不多” is not 是/否",
        ),
        c(
            "prior_words",
            "上年数值写 九十",
            REFUSED,
            fill=rate(prior_value="九十"),
            cell=m_cell(RATE, "prior_value"),
            reason="“九十” is not a number",
        ),
        c(
            "phone_words",
            "联系电话写 找办公室",
            REFUSED,
            fill=cover(phone="找办公室"),
            cell="封面!B6",
            reason="is not a telephone number",
        ),
        c(
            "cover_date_words",
            "填报日期写 去年底",
            REFUSED,
            fill=cover(filled_on="去年底"),
            cell="封面!B8",
            reason="“去年底” is not a date",
        ),
        c(
            "value_in_grey_cell",
            "在不需填写的灰色格（计数的分母）写了数",
            REFUSED,
            fill=metric(COUNT, denominator=100),
            cell=m_cell(COUNT, "denominator"),
            reason="分母 is not asked for this row",
        ),
        # ---------------------------------------------------------- returned for confirmation
        c(
            "persons_denominator",
            "分母按人而不是万人填写（2700000）",
            CONFIRM,
            form=SJTJ,
            fill=metric(BUSES, numerator=1200, denominator=2700000),
            cell=m_cell(BUSES, "denominator", SJTJ),
            reason="分母 2700000 超出合理范围",
        ),
        c(
            "values_in_wrong_row",
            "把千家组织的数填进了示范单位一行",
            CONFIRM,
            fill=metrics(**{SMALL_COUNT: {"value": 1200}, BIG_COUNT: {"value": 1}}),
            cell=m_cell(SMALL_COUNT, "value"),
            reason="超出合理范围（0–100",
        ),
        c(
            "prior_tenfold",
            "上年数值 8%（本期 90%）",
            CONFIRM,
            fill=rate(prior_value="8%"),
            cell=m_cell(RATE, "numerator"),
            reason="是本行上年数值 8% 的 11.2 倍",
        ),
        c(
            "prior_fraction_small",
            "上年数值写 0.08（读作 8%，本期 90%）",
            CONFIRM,
            fill=rate(prior_value="0.08"),
            cell=m_cell(RATE, "numerator"),
            reason="上年数值 8% 的 11.2 倍",
        ),
        c(
            "count_over_range",
            "计量标准写成累计总数 3000",
            CONFIRM,
            fill=metric(STANDARDS, value=3000),
            cell=m_cell(STANDARDS, "value"),
            reason="超出合理范围（0–1000项）",
        ),
        c(
            "rank_over_range",
            "位次写 15（全省11个设区市）",
            CONFIRM,
            fill=metric(RANK, value=15),
            cell=m_cell(RANK, "value"),
            reason="超出合理范围（1–11位次）",
        ),
        c(
            "history_tenfold",
            "比上年已受理数值大十倍以上（120 → 1500）",
            CONFIRM,
            form=SZJJ_2016,
            fill=metric(COUNT, value=1500),
            history=((SZJJ, metric(COUNT, value=120)),),
            cell=m_cell(COUNT, "value", SZJJ_2016),
            reason="本单位已受理的2015年年度总结数值 120",
        ),
        c(
            "confirmation_misspelt",
            "备注写“已核实”（不是确认代码）",
            CONFIRM,
            fill=metric(BUSES, numerator=1200, denominator=2700000, note="已核实"),
            form=SJTJ,
            cell=m_cell(BUSES, "denominator", SJTJ),
            reason="确认：数值无误",
        ),
    ]


def _office_expect() -> dict[Key, Any]:
    """What the office round-trip files (tests/data/submissions/make_office_fixtures.py) hold."""
    return {
        ("metric", RATE, "value_entered"): 90.0,  # =E/F, calculated by the office program
        ("metric", RATE, "value"): 90.0,
        ("metric", RATE, "prior_value"): 85.0,
        ("metric", COUNT, "value"): 120.0,  # typed １２０
        ("task", TASK, "completed_on"): date(2015, 11, 30),  # typed 2015.11.30
        ("cover", "", "filled_on"): date(2016, 1, 12),
    }


CASES = _cases()


def build(case: Case, folder: Path, index: int) -> Path:
    """Write the case's workbook into `folder`; every case's bytes differ (the cover's 审核人
    carries its number), so the intake never skips one as already seen."""
    path = folder / f"{index:03d}_{case.name}.xlsx"
    if case.fixture is not None:
        shutil.copyfile(DATA / case.fixture, path)
        return path
    filled = complete(case.form)
    filled.cover["reviewed_by"] = f"李四{index}"
    if case.fill is not None:
        case.fill(filled)
    write(filled, path)
    if case.edit is not None:
        workbook = load_workbook(path)
        case.edit(workbook)
        workbook.save(path)
    if case.patch is not None:
        case.patch(path)
    return path


def history_file(form: UnitForm, fill: Callable[[FilledForm], None], path: Path) -> Path:
    filled = complete(form)
    fill(filled)
    return write(filled, path)


def summary_table() -> str:
    """The corpus in numbers, as docs/feeds/submissions.md shows it."""
    counts = Counter(case.outcome for case in CASES)
    lines = ["| expected outcome | cases |", "|---|---|"]
    lines += [f"| {OUTCOME_LABELS[o]} ({o}) | {counts[o]} |" for o in (ACCEPTED, REFUSED, CONFIRM)]
    lines.append(f"| total | {len(CASES)} |")
    lines.append("| silent misreads (accepted with a value other than intended) | 0 |")
    return "\n".join(lines)
