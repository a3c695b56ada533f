"""Write the Excel workbook a unit fills in for one period, following `layout` exactly.

One writer serves two purposes: blank templates sent to the units (`write_templates`) and, with
a `FilledForm`, workbooks as a unit returns them (the sample generator and tests), so the
parser is always tested against what the template really looks like.

Sheets, in order: 填报说明 (instructions), 封面 (cover), 任务进展 (tasks), 指标填报 (metrics)
and the veryHidden `_meta` sheet. Every sheet is protected without a password (a guard against
accidents, not a security boundary) and the workbook structure is locked, so units cannot
rename, add or remove sheets by mistake. Input cells are unlocked and lightly filled. Data
validations show a warning but let any value through: people type 2015.12.9 or ９２, which
Excel does not recognise but the parser reads, and pasting bypasses validation anyway.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from orchestration.domain.targets import target_text as domain_target_text
from orchestration.ingest.normalise import EXCEL_EPOCH
from orchestration.ingest.readers import CellValue
from orchestration.submissions import layout
from orchestration.submissions.filled import FilledForm
from orchestration.submissions.reporting import (
    SUBMISSIONS_FEED,
    MetricLine,
    TaskLine,
    UnitForm,
)
from orchestration.xlsx_files import save_workbook
from orchestration.xlsx_forms import (
    DATE_FORMAT,
    HEADER_FILL,
    HEADER_FONT,
    LEFT,
    TITLE_FONT,
    WRAP_TOP,
    CellStyle,
    Styler,
    page_setup,
)

# The shared looks (orchestration.xlsx_forms) plus the template's own: colour says "type here"
# or "not applicable".
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # unlocked cells the unit fills in
PREFILLED_FILL = PatternFill("solid", fgColor="EDEDED")  # written by the template, locked
NOT_APPLICABLE_FILL = PatternFill("solid", fgColor="BFBFBF")  # locked, nothing to enter
HINT_FONT = Font(name="宋体", size=10, color="595959")

STYLES = {
    "title": CellStyle(font=TITLE_FONT, border=None),
    "line": CellStyle(alignment=LEFT, border=None),
    "paragraph": CellStyle(alignment=WRAP_TOP, border=None),
    "header": CellStyle(font=HEADER_FONT, fill=HEADER_FILL),
    "label": CellStyle(font=HEADER_FONT),
    "fixed": CellStyle(),
    "fixed_wrap": CellStyle(alignment=WRAP_TOP),
    "prefilled": CellStyle(alignment=LEFT, fill=PREFILLED_FILL),
    "hint": CellStyle(font=HINT_FONT, alignment=LEFT),
    "not_applicable": CellStyle(fill=NOT_APPLICABLE_FILL),
    "input": CellStyle(fill=INPUT_FILL, locked=False),
    "input_wrap": CellStyle(alignment=WRAP_TOP, fill=INPUT_FILL, locked=False),
    "input_date": CellStyle(fill=INPUT_FILL, locked=False, number_format=DATE_FORMAT),
    "cover_input": CellStyle(alignment=LEFT, fill=INPUT_FILL, locked=False),
    "cover_date": CellStyle(
        alignment=LEFT, fill=INPUT_FILL, locked=False, number_format=DATE_FORMAT
    ),
}


# Column widths in Excel units (a CJK character takes about two).
TASK_WIDTHS = dict(zip("ABCDEFGHIJ", (6, 9, 52, 9, 22, 11, 12, 42, 28, 14), strict=True))
METRIC_WIDTHS = dict(zip("ABCDEFGHIJK", (6, 38, 36, 12, 14, 14, 10, 18, 46, 24, 14), strict=True))
COVER_WIDTHS = {"A": 16, "B": 44, "C": 30}
LAST_TASK_COLUMN = layout.TASK_COLUMNS[-1].letter
LAST_METRIC_COLUMN = layout.METRIC_COLUMNS[-1].letter
TASK_WRAPPED = {"task_content", "progress_text", "evidence"}
METRIC_WRAPPED = {"kpi_name", "guidance", "note"}

# Excel serials bounding plausible dates in the date validations (2000-01-01 .. 2099-12-31).
_FIRST_DATE = (date(2000, 1, 1) - EXCEL_EPOCH).days
_LAST_DATE = (date(2099, 12, 31) - EXCEL_EPOCH).days
DATE_FORMS_HINT = "可填 2015-12-9、2015/12/9、2015.12.9 或 2015年12月9日"
PRIOR_VALUE_HINT = "上年数值：上年度同口径数值（比率写法同本期数值，如 85%、85 或 0.85）"


def template_path(out_dir: Path, form: UnitForm) -> Path:
    """`<out_dir>/<period_code>/<period_code>_<unit_code>_<unit_short_name>.xlsx`."""
    code = form.period.code
    return Path(out_dir) / code / f"{code}_{form.unit_code}_{form.unit_short_name}.xlsx"


def write_template(form: UnitForm, path: Path) -> Path:
    """Write the blank template for one unit and period to `path`."""
    save_workbook(Path(path), build_workbook(form))
    return Path(path)


def write_templates(forms: Iterable[UnitForm], out_dir: Path) -> list[Path]:
    """Write blank templates for `forms` under `out_dir` (see `template_path`)."""
    return [write_template(form, template_path(out_dir, form)) for form in forms]


def build_workbook(form: UnitForm, filled: FilledForm | None = None) -> Workbook:
    """The workbook for one unit and period; with `filled`, the unit's raw input is written
    into the input cells exactly as given (strings stay strings)."""
    if filled is not None and filled.form != form:
        raise ValueError("filled.form is not the form being written")
    workbook = Workbook()
    instructions = workbook.active
    assert instructions is not None  # a new Workbook always has one sheet
    instructions.title = layout.SHEET_INSTRUCTIONS
    style = Styler(STYLES)
    _write_instructions(instructions, form, style)
    _write_cover(workbook.create_sheet(layout.SHEET_COVER), form, filled, style)
    _write_tasks(workbook.create_sheet(layout.SHEET_TASKS), form, filled, style)
    _write_metrics(workbook.create_sheet(layout.SHEET_METRICS), form, filled, style)
    _write_meta(workbook.create_sheet(layout.SHEET_META), form, filled)
    workbook.active = 0
    workbook.security = WorkbookProtection(lockStructure=True)
    return workbook


def date_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def deadline_text(task: TaskLine) -> str:
    """E.g. 2015-12-31（2015年底）. The seed's wording names 2015; the plan's tasks recur every
    year, so the year in the wording follows the deadline's."""
    wording = re.sub(r"\d{4}年", f"{task.deadline.year}年", task.deadline_text)
    return f"{task.deadline.isoformat()}（{wording}）"


def target_text(metric: MetricLine) -> str:
    """The target in a few characters, e.g. ≥ 92, 是, 同比提高."""
    return domain_target_text(metric.comparator, metric.target_value, is_rank=metric.kind == "rank")


def guidance_text(metric: MetricLine, *, prior_value: bool = False) -> str:
    """What to enter for a metric (column 填报口径); `prior_value` when 上年数值 is asked."""
    if metric.uses_fraction:
        text = (
            f"分子：{metric.numerator_label}；分母：{metric.denominator_label}；"
            "本期数值可不填，由分子/分母计算"
        )
    elif metric.kind == "boolean":
        text = "填“是”或“否”"
    elif metric.kind == "rank":
        text = "最近一次公布的位次（整数，1为最好）"
    else:
        text = "截至本期末的本年累计数"
    return f"{text}；{PRIOR_VALUE_HINT}" if prior_value else text


# ---------------------------------------------------------------- sheets


def _write_instructions(sheet: Worksheet, form: UnitForm, style: Styler) -> None:
    period = form.period
    statuses = "、".join(layout.TASK_STATUSES)
    lines = [
        f"本工作簿用于{form.unit_name}报送{period.label}“质量兴市”工作进展，"
        f"报送截止日期：{date_text(period.due)}（含当日）。",
        "需要填写的内容：只填写浅黄色底色的单元格。“封面”填写填报人、联系电话、审核人和"
        "填报日期；“任务进展”逐项填写进展状态、完成百分比、工作进展情况、佐证材料和完成日期；"
        "“指标填报”填写本期数值（比率类填分子、分母）、备注和（年度总结）上年数值。"
        "白色和灰色单元格为预填内容，"
        "已锁定，不需要也不能修改。",
        "请勿增删或移动行、列或工作表，请勿修改工作表名称、表头、任务编号和指标代码：行列与模板"
        "不一致的文件会被拒收（数值会错位）。任务或指标有误、缺漏的，请在“工作进展情况”或“备注”中"
        "说明，并联系市质量与名牌战略领导小组办公室。",
        f"进展状态从下拉列表中选择：{statuses}。状态为“{layout.STATUS_COMPLETED}”的任务"
        "必须填写完成日期，完成百分比填100；完成百分比填写0到100之间的数。",
        "数值写法：92%、0.92 和 92 都表示 92%；可以使用全角数字（如 ９２）和千分位逗号"
        "（如 1,234）。不到1%的比率请带百分号填写（如 0.5%）。",
        "比率类指标须同时填写分子和分母，本期数值可不填，由分子÷分母计算；计数类指标填写截至"
        "本期末的本年累计数；是否类指标填“是”或“否”；位次填写整数（1为最好）。",
        "上年数值：年度总结中，考核同比变化的指标须在“上年数值”列填写上年度同口径数值"
        "（比率写法同“数值写法”一条：85%、85 和 0.85 都表示 85%）；其他情况该列为灰色，不需填写。",
        "数值核实：与本单位上年数值或以往报送数值相差十倍以上、或超出该指标合理范围的数值"
        "（如分母应以万人计却按人填写），报送表会被退回核实。请先核对；数值确实无误的，在该行"
        f"“备注”中填写“{layout.CONFIRMATION_CODE}”，再重新报送。",
        f"日期写法：{DATE_FORMS_HINT.removeprefix('可填 ')}均可，也可以直接输入 Excel 日期"
        "或 20151209 这样的8位数字。",
        "公式：可以使用公式，但请用 Excel 或 WPS 保存后再报送（其他程序生成的文件可能没有"
        "公式的计算结果，会被退回）。",
        "更正与重新报送：发现错误时，请修改后将整个工作簿重新报送（不要只报送修改部分）；"
        "以最后一次被接收的版本为准。",
        f"报送方式：将本工作簿以 .xlsx 格式放入报送目录 raw/{SUBMISSIONS_FEED}/，请勿另存为 "
        f".xls 或启用宏的 .xlsm；文件名建议为“{period.code}_{form.unit_short_name}.xlsx”。",
        f"模板版本：{layout.TEMPLATE_VERSION}。请使用本期下发给本单位的模板，"
        "勿使用往期或其他单位的模板。",
    ]
    if period.is_annual:
        lines.insert(
            1, "本期为年度总结：每项指标都须填写全年数，不得留空；年度考核以年度总结中的数值为准。"
        )
    sheet.column_dimensions["A"].width = 100
    title = sheet.cell(row=1, column=1, value=f"{layout.TITLE}·{layout.SHEET_INSTRUCTIONS}")
    style(title, "title")
    sheet.row_dimensions[1].height = 30
    for number, text in enumerate(lines, start=1):
        row = number + 1
        cell = sheet.cell(row=row, column=1, value=f"{number}. {text}")
        style(cell, "paragraph")
        sheet.row_dimensions[row].height = _height(text, 100)
    page_setup(sheet, landscape=False)
    _protect(sheet)


def _write_cover(
    sheet: Worksheet, form: UnitForm, filled: FilledForm | None, style: Styler
) -> None:
    _title_rows(sheet, form, style, layout.SHEET_COVER, "C", unit_end="B", date_start="C")
    for letter, width in COVER_WIDTHS.items():
        sheet.column_dimensions[letter].width = width
    prefilled: dict[str, CellValue] = {
        "reporting_unit_name": form.unit_name,
        "period_label": form.period.label,
    }
    given = filled.cover if filled is not None else {}
    value_column = layout.COVER_VALUE_COLUMN
    for spec in layout.COVER_FIELDS:
        label = sheet.cell(row=spec.row, column=1, value=spec.label)
        style(label, "label")
        cell = sheet[f"{value_column}{spec.row}"]
        if spec.prefilled:
            style(cell, "prefilled")
            note = "预填，请勿修改"
        else:
            style(cell, "cover_date" if spec.key == "filled_on" else "cover_input")
            note = "必填" if spec.required else "选填"
        _put(cell, given.get(spec.key, prefilled.get(spec.key)))
        if spec.key == "filled_on":
            note += f"；{DATE_FORMS_HINT}"
        style(sheet.cell(row=spec.row, column=3, value=note), "hint")
        sheet.row_dimensions[spec.row].height = 24
    date_row = next(spec.row for spec in layout.COVER_FIELDS if spec.key == "filled_on")
    _add_validation(sheet, _date_validation("填报日期"), [f"{value_column}{date_row}"])
    page_setup(sheet, landscape=False)
    _protect(sheet)


def _write_tasks(
    sheet: Worksheet, form: UnitForm, filled: FilledForm | None, style: Styler
) -> None:
    columns = layout.TASK_COLUMNS
    _title_rows(
        sheet, form, style, layout.SHEET_TASKS, LAST_TASK_COLUMN, unit_end="E", date_start="H"
    )
    _header_row(sheet, columns, TASK_WIDTHS, style)
    given = filled.tasks if filled is not None else {}
    row = layout.FIRST_DATA_ROW
    for seq, task in enumerate(form.tasks, start=1):
        fixed: dict[str, CellValue] = {
            "seq": seq,
            "task_no": task.task_no,
            "task_content": task.content,
            "role": layout.ROLE_LABELS[task.role],
            "deadline": deadline_text(task),
        }
        _task_row(sheet, row, {**fixed, **given.get(task.task_no, {})}, style)
        row += 1
    last_template_row = row - 1
    # Rows a unit added below the template (e.g. a task it does not hold): 序号 continues.
    for seq, extra in enumerate(
        filled.extra_task_rows if filled is not None else [], start=len(form.tasks) + 1
    ):
        _task_row(sheet, row, {"seq": seq, **extra}, style)
        row += 1
    if form.tasks:
        first = layout.FIRST_DATA_ROW

        def cells(key: str) -> list[str]:
            letter = layout.column(columns, key).letter
            return [f"{letter}{first}:{letter}{last_template_row}"]

        statuses = _list_validation(layout.TASK_STATUSES, "进展状态", "请从下拉列表中选择")
        _add_validation(sheet, statuses, cells("status"))
        percent = DataValidation(
            type="decimal", operator="between", formula1="0", formula2="100", allow_blank=True
        )
        _explain(percent, "完成百分比", "请填写0到100之间的数（已完成填100）")
        _add_validation(sheet, percent, cells("percent_complete"))
        completed = _date_validation("完成日期", f"状态为“{layout.STATUS_COMPLETED}”时必填")
        _add_validation(sheet, completed, cells("completed_on"))
    page_setup(sheet, landscape=True)
    _protect(sheet)


def _fill_row(
    sheet: Worksheet,
    row: int,
    columns: tuple[layout.Column, ...],
    values: dict[str, CellValue],
    style: Styler,
    wrapped_keys: Collection[str],
    widths: Mapping[str, float],
    style_of: Mapping[str, str],
) -> None:
    """Write one data row: each cell styled as input or fixed (or as `style_of` says),
    its value put as given, and the row as tall as its longest wrapped text."""
    height = 15.0
    for spec in columns:
        cell = sheet[f"{spec.letter}{row}"]
        wrapped = spec.key in wrapped_keys
        if spec.key in style_of:
            style(cell, style_of[spec.key])
        elif spec.editable:
            style(cell, "input_wrap" if wrapped else "input")
        else:
            style(cell, "fixed_wrap" if wrapped else "fixed")
        _put(cell, values.get(spec.key))
        if wrapped and isinstance(cell.value, str):
            height = max(height, _height(cell.value, widths[spec.letter]))
    sheet.row_dimensions[row].height = height


def _task_row(sheet: Worksheet, row: int, values: dict[str, CellValue], style: Styler) -> None:
    _fill_row(
        sheet,
        row,
        layout.TASK_COLUMNS,
        values,
        style,
        TASK_WRAPPED,
        TASK_WIDTHS,
        {"completed_on": "input_date"},
    )


def _write_metrics(
    sheet: Worksheet, form: UnitForm, filled: FilledForm | None, style: Styler
) -> None:
    columns = layout.METRIC_COLUMNS
    letter = {spec.key: spec.letter for spec in columns}
    _title_rows(
        sheet, form, style, layout.SHEET_METRICS, LAST_METRIC_COLUMN, unit_end="D", date_start="H"
    )
    _header_row(sheet, columns, METRIC_WIDTHS, style)
    given = filled.metrics if filled is not None else {}
    # Cells per validation, collected so each rule is one <dataValidation> with many ranges.
    targets: dict[str, list[str]] = {
        "boolean": [],
        "count": [],
        "rank": [],
        "amount": [],
        "prior": [],
    }
    for seq, metric in enumerate(form.metrics, start=1):
        row = layout.FIRST_DATA_ROW + seq - 1
        asks_prior = form.asks_prior_value(metric)
        values: dict[str, CellValue] = {
            "seq": seq,
            "kpi_code": metric.kpi_code,
            "kpi_name": metric.kpi_name,
            "unit": metric.unit,
            "target": target_text(metric),
            "guidance": guidance_text(metric, prior_value=asks_prior),
            **given.get(metric.kpi_code, {}),
        }
        # Cells with nothing to enter in this row (分子/分母 of a metric that is not a
        # fraction, 上年数值 unless asked): locked and grey.
        not_applicable = dict.fromkeys(
            [
                *(() if metric.uses_fraction else ("numerator", "denominator")),
                *(() if asks_prior else ("prior_value",)),
            ],
            "not_applicable",
        )
        _fill_row(sheet, row, columns, values, style, METRIC_WRAPPED, METRIC_WIDTHS, not_applicable)
        if asks_prior:
            targets["prior"].append(f"{letter['prior_value']}{row}")
        value_cell = f"{letter['value']}{row}"
        if metric.uses_fraction:
            targets["amount"] += [
                value_cell,
                f"{letter['numerator']}{row}",
                f"{letter['denominator']}{row}",
            ]
        elif metric.kind in targets:
            targets[metric.kind].append(value_cell)
        else:
            targets["count"].append(value_cell)
    booleans = _list_validation(layout.BOOLEAN_CHOICES, "是否类指标", "请选择“是”或“否”")
    _add_validation(sheet, booleans, targets["boolean"])
    _add_validation(sheet, _whole_validation(0, "截至本期末的本年累计数（整数）"), targets["count"])
    _add_validation(sheet, _whole_validation(1, "位次为正整数，1为最好"), targets["rank"])
    amount = DataValidation(
        type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True
    )
    _explain(amount, "数值", "请填写不小于0的数；比率可只填分子和分母")
    _add_validation(sheet, amount, targets["amount"])
    prior = DataValidation(
        type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True
    )
    _explain(prior, "上年数值", "上年度同口径数值，不小于0；比率如 85%、85 或 0.85（均为85%）")
    _add_validation(sheet, prior, targets["prior"])
    page_setup(sheet, landscape=True)
    _protect(sheet)


def _write_meta(sheet: Worksheet, form: UnitForm, filled: FilledForm | None) -> None:
    """What the parser needs before reading anything else: key in A, value in B."""
    values = {
        layout.META_TEMPLATE_VERSION: layout.TEMPLATE_VERSION,
        layout.META_UNIT_CODE: form.unit_code,
        layout.META_PERIOD_CODE: form.period.code,
    }
    if filled is not None:
        values.update(filled.meta_overrides)
    for row, (key, value) in enumerate(values.items(), start=1):
        sheet.cell(row=row, column=1, value=key)
        _put(sheet.cell(row=row, column=2), value)
    sheet.sheet_state = "veryHidden"
    _protect(sheet)


# ---------------------------------------------------------------- helpers


def _put(cell: Cell, value: CellValue) -> None:
    """Write a raw value as typed, after the cell's style: openpyxl gives a date value a date
    format only if the cell has none, and reads a date back as a date only with one. A text
    starting with '=' stays text, not a formula. A number in a date-formatted cell is shown
    as a number (as if pasted from elsewhere), so it reads back as the number it was."""
    if isinstance(value, int | float) and not isinstance(value, bool) and cell.is_date:
        cell.number_format = "General"
    cell.value = value
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"


def _title_rows(
    sheet: Worksheet,
    form: UnitForm,
    style: Styler,
    sheet_name: str,
    last: str,
    *,
    unit_end: str,
    date_start: str,
) -> None:
    """Row 1: merged title; row 2: 填报单位 on the left, 填报日期 on the right (both merged)."""
    title = f"{layout.TITLE}——{sheet_name}（{form.unit_short_name}  {form.period.label}）"
    cell = sheet.cell(row=1, column=1, value=title)
    style(cell, "title")
    sheet.merge_cells(f"A1:{last}1")
    sheet.row_dimensions[1].height = 32
    unit = sheet.cell(row=2, column=1, value=f"填报单位：{form.unit_name}")
    style(unit, "line")
    sheet.merge_cells(f"A2:{unit_end}2")
    filled_on = sheet[f"{date_start}2"]
    filled_on.value = "填报日期："
    style(filled_on, "line")
    if date_start != last:
        sheet.merge_cells(f"{date_start}2:{last}2")
    sheet.row_dimensions[2].height = 20


def _header_row(
    sheet: Worksheet, columns: Sequence[layout.Column], widths: dict[str, int], style: Styler
) -> None:
    for spec in columns:
        cell = sheet[f"{spec.letter}{layout.HEADER_ROW}"]
        cell.value = spec.header
        style(cell, "header")
        sheet.column_dimensions[spec.letter].width = widths[spec.letter]
    sheet.row_dimensions[layout.HEADER_ROW].height = 30
    sheet.freeze_panes = f"A{layout.FIRST_DATA_ROW}"
    sheet.print_title_rows = f"1:{layout.HEADER_ROW}"


def _height(text: str, width: float) -> float:
    """Row height for wrapped text: openpyxl cannot autofit, and a CJK character takes about
    two width units."""
    per_line = max(1, int(width / 2) - 1)
    lines = sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))
    return max(15.0, 15.0 * lines + 3)


def _explain(validation: DataValidation, title: str, message: str) -> None:
    # A warning rather than a stop: the parser reads more forms than Excel validates.
    validation.showErrorMessage = True
    validation.errorStyle = "warning"
    validation.errorTitle = title
    validation.error = f"{message}。如确认无误，可点“是”继续。"
    validation.showInputMessage = True
    validation.promptTitle = title
    validation.prompt = message


def _list_validation(choices: Sequence[str], title: str, message: str) -> DataValidation:
    validation = DataValidation(
        type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True
    )
    _explain(validation, title, f"{message}：{'、'.join(choices)}")
    return validation


def _whole_validation(minimum: int, message: str) -> DataValidation:
    validation = DataValidation(
        type="whole", operator="greaterThanOrEqual", formula1=str(minimum), allow_blank=True
    )
    _explain(validation, "整数", message)
    return validation


def _date_validation(title: str, extra: str = "") -> DataValidation:
    validation = DataValidation(
        type="date",
        operator="between",
        formula1=str(_FIRST_DATE),
        formula2=str(_LAST_DATE),
        allow_blank=True,
    )
    _explain(validation, title, "；".join(part for part in (extra, DATE_FORMS_HINT) if part))
    return validation


def _add_validation(sheet: Worksheet, validation: DataValidation, ranges: list[str]) -> None:
    if not ranges:
        return
    for cells in ranges:
        validation.add(cells)
    sheet.add_data_validation(validation)


def _protect(sheet: Worksheet) -> None:
    """Protect without a password; rows and columns may still be resized for reading."""
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False
