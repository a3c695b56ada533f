"""Parse one submission workbook into typed rows, each with the problems found in it.

The hidden _meta sheet says which template version, unit and period the file claims to be;
everything else is checked against what that unit must report for that period
(reporting.form_for). Cells are read with openpyxl in read-only mode, values not formulas
(a formula saved without its value is named, not read as blank). A file that is not one of our
templates, or whose rows or columns were inserted, deleted or moved (structure.py), raises
NotASubmission; bad cells never raise. Values far from the unit's history or outside the KPI's
plausible range (plausibility.py) are returned for confirmation."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string
from openpyxl.utils.datetime import from_excel

from orchestration.ingest.readers import CellValue, FileRejected
from orchestration.ingest.xlsx_guard import WorkbookLimits, inspect_workbook
from orchestration.reference import project_var
from orchestration.submissions import layout, plausibility, structure
from orchestration.submissions.cell_values import (
    Issue,
    Uncalculated,
    is_blank,
    read_amount,
    read_boolean,
    read_count,
    read_date,
    read_number,
    read_percent,
    read_phone,
    read_status,
    read_text,
    shown,
)
from orchestration.submissions.reporting import MetricLine, TaskLine, UnitForm, form_for

# What the warehouse knows of a unit's earlier values: kpi_code → (value, period_code) of the
# latest accepted comparable report (intake.accepted_history).
HistoryLookup = Callable[[UnitForm], Mapping[str, tuple[float, str]]]

# A filled template is ~20 KB: far tighter limits than the guard's defaults for any xlsx.
SUBMISSION_LIMITS = WorkbookLimits(
    max_file_bytes=5 * 1024 * 1024, max_uncompressed_bytes=50 * 1024 * 1024
)
# Rows a sheet may have beyond its template rows (a unit adding a row it should not is
# reported; thousands of rows mean it is not a filled template).
EXTRA_ROWS_ALLOWED = 50
META_ROWS = 20
RATE_TOLERANCE_POINTS = 0.5  # 本期数值 may be rounded: 92.3 vs 92.34 computed is fine
RATIO_TOLERANCE_SHARE = 0.01


class NotASubmission(FileRejected):
    """The file is a workbook but not a submission this platform can read."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Problem:
    kind: str
    sheet: str | None
    cell: str | None
    message: str

    @property
    def text(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}: {self.message}"
        return f"{self.sheet}: {self.message}" if self.sheet else self.message

    def as_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind, "sheet": self.sheet, "cell": self.cell, "message": self.message}


@dataclass(frozen=True)
class ParsedRow:
    sheet: str
    row_number: int
    values: dict[str, Any]  # typed values for the raw table (empty when problems exist)
    delivered: dict[str, str]  # header → value as typed, kept with the row
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def delivered_json(self) -> str:
        return json.dumps(self.delivered, ensure_ascii=False)


@dataclass(frozen=True)
class ParsedSubmission:
    template_version: str
    form: UnitForm
    cover: ParsedRow
    tasks: tuple[ParsedRow, ...]
    metrics: tuple[ParsedRow, ...]
    file_problems: tuple[Problem, ...] = field(default=())

    @property
    def rows(self) -> tuple[ParsedRow, ...]:
        return (self.cover, *self.tasks, *self.metrics)

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.file_problems + tuple(p for r in self.rows for p in r.problems)


Grid = dict[int, tuple[CellValue | Uncalculated, ...]]
# A number in a date-formatted cell is a date only within the templates' date validation
# (2000–2099); outside it (20161209 typed into the cell) the number goes to read_date as typed.
_DATE_SERIALS = (36526.0, 73415.0)


def _cell_value(cell: Any, epoch: datetime) -> CellValue:
    value = cell.value
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if not is_number:
        return value
    # A %-formatted cell stores 0.92 for 92 %: keep the sign so 100 % is not read as 1.
    if "%" in (getattr(cell, "number_format", None) or ""):
        return f"{value * 100:.10g}%"
    if getattr(cell, "is_date", False) and _DATE_SERIALS[0] <= value <= _DATE_SERIALS[1]:
        return from_excel(value, epoch)
    return value


def _read_grid(sheet: Any, max_row: int, epoch: datetime) -> Grid:
    """Non-blank rows up to `max_row`. The size a workbook declares for a sheet is the
    sender's claim, so it is ignored: rows are read as they are, and a sheet with anything
    below `max_row` is not one of our filled templates."""
    sheet.reset_dimensions()
    grid: Grid = {}
    for row in sheet.iter_rows(max_row=max_row + 1):
        cells = tuple(_cell_value(c, epoch) for c in row)
        if cells and any(not is_blank(v) for v in cells):
            number = next((c.row for c in row if getattr(c, "row", None)), None)
            if number is not None:
                grid[number] = cells
    if any(n > max_row for n in grid):
        raise NotASubmission(
            "not_a_template",
            f"sheet {sheet.title} has entries below row {max_row}: "
            "not a filled submission template",
        )
    return grid


def _uncalculated(sheet: Any, max_row: int, grid: Grid) -> Grid:
    """The grid with every formula that has no saved value marked Uncalculated (`sheet` is
    the same sheet opened with formulas rather than values)."""
    sheet.reset_dimensions()
    marked = dict(grid)
    for row in sheet.iter_rows(max_row=max_row):
        for cell in row:
            if getattr(cell, "data_type", None) != "f":
                continue
            number = cell.row
            values = list(marked.get(number, ()))
            index = cell.column - 1
            if index < len(values) and values[index] is not None:
                continue  # the formula's saved value was read
            values += [None] * (index + 1 - len(values))
            values[index] = Uncalculated(str(cell.value))
            marked[number] = tuple(values)
    return marked


def _get(grid: Grid, row: int, letter: str) -> CellValue:
    values = grid.get(row, ())
    index = column_index_from_string(letter) - 1
    return values[index] if index < len(values) else None


def _read_meta(grid: Grid) -> dict[str, str]:
    meta = {}
    for values in grid.values():
        if len(values) >= 2 and values[0] is not None:
            meta[str(values[0]).strip()] = "" if values[1] is None else str(values[1]).strip()
    return meta


def _identify(workbook: Any, received_on: date | None) -> tuple[str, UnitForm]:
    if layout.SHEET_META not in workbook.sheetnames:
        raise NotASubmission(
            "not_a_template",
            f"not a submission template (no hidden {layout.SHEET_META} sheet): "
            "download the template for your unit and period and fill that in",
        )
    meta = _read_meta(_read_grid(workbook[layout.SHEET_META], META_ROWS, workbook.epoch))
    missing = [key for key in layout.META_KEYS if not meta.get(key)]
    if missing:
        raise NotASubmission("not_a_template", f"{layout.SHEET_META}: missing {', '.join(missing)}")
    version = meta[layout.META_TEMPLATE_VERSION]
    if version not in layout.SUPPORTED_TEMPLATE_VERSIONS:
        supported = ", ".join(sorted(layout.SUPPORTED_TEMPLATE_VERSIONS))
        raise NotASubmission(
            "unknown_template_version",
            f"template version '{version}' is not supported ({supported}): "
            "download the current template",
        )
    unit_code, period_code = meta[layout.META_UNIT_CODE], meta[layout.META_PERIOD_CODE]
    try:
        form = form_for(unit_code, period_code)
    except KeyError:
        raise NotASubmission("unknown_unit", f"unit '{unit_code}' does not report") from None
    except ValueError as error:
        raise NotASubmission("unknown_period", str(error)) from None
    plan_year = int(str(project_var("plan_year")))
    if form.period.year < plan_year:
        raise NotASubmission(
            "unknown_period", f"period {form.period.code} is before the plan ({plan_year})"
        )
    if received_on is not None and form.period.start > received_on:
        raise NotASubmission(
            "unknown_period",
            f"period {form.period.code} had not begun when the file arrived ({received_on})",
        )
    for sheet in (layout.SHEET_COVER, layout.SHEET_TASKS, layout.SHEET_METRICS):
        if sheet not in workbook.sheetnames:
            found = "、".join(n for n in workbook.sheetnames if n != layout.SHEET_META)
            raise NotASubmission(
                "not_a_template",
                f"sheet '{sheet}' is missing (工作簿中的工作表：{found})：请勿修改工作表名称，"
                "请在下发的模板中填写",
            )
    return version, form


# ------------------------------------------------------------------------------- cover


def _names_match(typed: str, form: UnitForm) -> bool:
    key = "".join(typed.split())
    return key in {form.unit_name, form.unit_short_name, form.unit_code}


def _parse_cover(grid: Grid, form: UnitForm, received_on: date | None) -> ParsedRow:
    sheet = layout.SHEET_COVER
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    delivered: dict[str, str] = {}
    col = layout.COVER_VALUE_COLUMN
    readers: dict[str, Callable[[CellValue], tuple[object, Issue | None]]] = {
        "phone": read_phone,
        "filled_on": read_date,
    }
    for spec in layout.COVER_FIELDS:
        raw = _get(grid, spec.row, col)
        cell = f"{col}{spec.row}"
        delivered[spec.label] = "" if raw is None else shown(raw)
        if isinstance(raw, Uncalculated):
            problems.append(_formula_problem(sheet, cell, spec.label, raw))
            continue
        if is_blank(raw):
            values[spec.key] = None
            if spec.required:
                problems.append(
                    Problem("missing_required", sheet, cell, f"{spec.label} is required")
                )
            continue
        value, issue = readers.get(spec.key, read_text)(raw)
        if issue:
            problems.append(Problem(issue.kind, sheet, cell, f"{spec.label}: {issue.message}"))
        values[spec.key] = value
    unit_name = values.get("reporting_unit_name")
    if isinstance(unit_name, str) and not _names_match(unit_name, form):
        problems.append(
            Problem(
                "cover_mismatch",
                sheet,
                f"{col}{layout.COVER_FIELDS[0].row}",
                f"填报单位 “{unit_name}” is not {form.unit_name}, the unit this template is for",
            )
        )
    label = values.get("period_label")
    if isinstance(label, str) and "".join(label.split()) != form.period.label:
        problems.append(
            Problem(
                "cover_mismatch",
                sheet,
                f"{col}{layout.COVER_FIELDS[1].row}",
                f"报送期间 “{label}” is not {form.period.label}, the period this template is for",
            )
        )
    filled_on = values.get("filled_on")
    filled_cell = f"{col}{next(f.row for f in layout.COVER_FIELDS if f.key == 'filled_on')}"
    if isinstance(filled_on, date) and filled_on < form.period.start:
        problems.append(
            Problem(
                "date_out_of_range",
                sheet,
                filled_cell,
                f"填报日期 {filled_on} is before the period began ({form.period.start})",
            )
        )
    if isinstance(filled_on, date) and received_on and filled_on > received_on:
        problems.append(
            Problem(
                "date_out_of_range",
                sheet,
                filled_cell,
                f"填报日期 {filled_on} is after the file arrived ({received_on})",
            )
        )
    first_row = layout.COVER_FIELDS[0].row
    return ParsedRow(sheet, first_row, values if not problems else {}, delivered, tuple(problems))


# ------------------------------------------------------------------------------- rows


def _delivered(grid: Grid, row: int, columns: tuple[layout.Column, ...]) -> dict[str, str]:
    out = {}
    for c in columns:
        raw = _get(grid, row, c.letter)
        out[c.header] = "" if raw is None else shown(raw)
    return out


def _formula_problem(sheet: str, cell: str, header: str, raw: Uncalculated) -> Problem:
    return Problem(
        "formula_not_calculated",
        sheet,
        cell,
        f"{header}：公式 {raw.formula} 没有保存计算结果（本文件不是由 Excel 或 WPS 保存的），"
        "无法读取其数值：请用 Excel 或 WPS 打开本文件，确认数值后保存，再重新报送",
    )


def _uncalculated_row(
    grid: Grid, sheet: str, row: int, columns: tuple[layout.Column, ...]
) -> ParsedRow | None:
    """A row with a formula whose value was not saved: each such cell named, nothing else
    checked (every other finding would follow from the unknown value)."""
    problems = tuple(
        _formula_problem(sheet, f"{c.letter}{row}", c.header, raw)
        for c in columns
        if isinstance(raw := _get(grid, row, c.letter), Uncalculated)
    )
    if not problems:
        return None
    return ParsedRow(sheet, row, {}, _delivered(grid, row, columns), problems)


def _data_rows(grid: Grid) -> Iterator[int]:
    yield from sorted(n for n in grid if n >= layout.FIRST_DATA_ROW)


class _RowChecker:
    """Collects problems for one row, naming each cell by its column key."""

    def __init__(self, sheet: str, row: int, columns: tuple[layout.Column, ...]) -> None:
        self.sheet, self.row = sheet, row
        self.letters = {c.key: c.letter for c in columns}
        self.headers = {c.key: c.header for c in columns}
        self.problems: list[Problem] = []

    def cell(self, key: str) -> str:
        return f"{self.letters[key]}{self.row}"

    def add(self, kind: str, key: str, message: str) -> None:
        self.problems.append(Problem(kind, self.sheet, self.cell(key), message))

    def issue(self, key: str, issue: Issue) -> None:
        self.add(issue.kind, key, f"{self.headers[key]}: {issue.message}")


def _row(check: _RowChecker, values: dict[str, Any], delivered: dict[str, str]) -> ParsedRow:
    """A row carries typed values only when it has no problem: half-checked values never load."""
    problems = tuple(check.problems)
    return ParsedRow(check.sheet, check.row, {} if problems else values, delivered, problems)


def _read_code(raw: CellValue) -> str:
    value, _ = read_text(raw)
    text = str(value)
    return text[:-2] if text.endswith(".0") else text


def _parse_task_row(grid: Grid, row: int, line: TaskLine, latest: date) -> ParsedRow:
    """One task row; `latest` is the last day a completion may be dated (the period end, or
    the day the file arrived if earlier)."""
    sheet, columns = layout.SHEET_TASKS, layout.TASK_COLUMNS
    uncalculated = _uncalculated_row(grid, sheet, row, columns)
    if uncalculated is not None:
        return uncalculated
    check = _RowChecker(sheet, row, columns)

    def raw(key: str) -> CellValue:
        return _get(grid, row, check.letters[key])

    status = percent = completed_on = None
    if is_blank(raw("status")):
        check.add("missing_required", "status", "进展状态 is required")
    else:
        status, issue = read_status(raw("status"))
        if issue:
            check.issue("status", issue)
    if not is_blank(raw("percent_complete")):
        percent, issue = read_percent(raw("percent_complete"))
        if issue:
            check.issue("percent_complete", issue)
    if not is_blank(raw("completed_on")):
        completed_on, issue = read_date(raw("completed_on"))
        if issue:
            check.issue("completed_on", issue)
    progress = None if is_blank(raw("progress_text")) else read_text(raw("progress_text"))[0]
    evidence = None if is_blank(raw("evidence")) else read_text(raw("evidence"))[0]
    if status == layout.STATUS_COMPLETED and is_blank(raw("completed_on")):
        check.add("completed_without_date", "completed_on", "已完成 needs a 完成日期")
    if status and status != layout.STATUS_COMPLETED and isinstance(completed_on, date):
        check.add("status_conflict", "completed_on", f"完成日期 given but 进展状态 is {status}")
    if status == layout.STATUS_COMPLETED and isinstance(percent, float) and percent < 100:
        check.add("status_conflict", "percent_complete", f"已完成 but 完成百分比 is {percent:g}")
    if status == layout.STATUS_NOT_STARTED and isinstance(percent, float) and percent > 0:
        check.add("status_conflict", "percent_complete", f"未开始 but 完成百分比 is {percent:g}")
    if isinstance(completed_on, date) and completed_on > latest:
        check.add(
            "date_out_of_range",
            "completed_on",
            f"完成日期 {completed_on} is after the end of the period or the day of delivery "
            f"({latest})",
        )
    if status and status != layout.STATUS_NOT_STARTED and progress is None:
        check.add("missing_required", "progress_text", f"工作进展情况 is required when {status}")
    values = {
        "task_no": line.task_no,
        "role": line.role,
        "status": status,
        "percent_complete": percent,
        "progress_text": progress,
        "evidence": evidence,
        "completed_on": completed_on,
    }
    return _row(check, values, _delivered(grid, row, columns))


def _entered_readings(raw: CellValue, line: MetricLine) -> tuple[list[float], Issue | None]:
    """What a typed 本期数值 can mean. For a rate without a % sign both 0.35 → 0.35 % and
    0.35 → 35 % are possible (and 1 may mean 100 %): 分子/分母 decide, so both are offered."""
    number, had_percent, issue = read_number(raw)
    if issue or number is None:
        return [], issue
    if line.kind != "rate":
        return [number], None
    readings = [r for r in ([number] if had_percent else [number, number * 100]) if 0 <= r <= 100]
    if not readings:
        return [], Issue("percent_out_of_range", f"“{shown(raw)}” is outside 0–100 %")
    return readings, None


def _parse_fraction(
    check: _RowChecker, raw: Callable[[str], CellValue], line: MetricLine
) -> dict[str, Any] | None:
    numerator, issue_n = read_amount(raw("numerator"))
    denominator, issue_d = read_amount(raw("denominator"))
    for key, issue in (("numerator", issue_n), ("denominator", issue_d)):
        if issue:
            check.issue(key, issue)
    if not isinstance(numerator, float) or not isinstance(denominator, float):
        return None
    if denominator == 0:
        check.add("zero_denominator", "denominator", "分母 is 0: the rate is undefined")
        return None
    if line.kind == "rate" and numerator > denominator:
        check.add(
            "numerator_gt_denominator",
            "numerator",
            f"分子 {numerator:g} is greater than 分母 {denominator:g}",
        )
        return None
    scale = 100.0 if line.kind == "rate" else 1.0
    value = scale * numerator / denominator
    entered = None
    if not is_blank(raw("value")):
        readings, issue = _entered_readings(raw("value"), line)
        if issue:
            check.issue("value", issue)
            return None
        entered = min(readings, key=lambda r: abs(r - value))
        close = (
            abs(entered - value) <= RATE_TOLERANCE_POINTS
            if line.kind == "rate"
            else abs(entered - value) <= RATIO_TOLERANCE_SHARE * max(abs(value), 1e-9)
        )
        if not close:
            check.add(
                "value_mismatch",
                "value",
                f"本期数值 {shown(raw('value'))} does not match 分子/分母 = {value:.4g}",
            )
            return None
    return {
        "value": round(value, 6),
        "value_entered": entered,
        "numerator": numerator,
        "denominator": denominator,
    }


def _parse_metric_row(
    grid: Grid,
    row: int,
    line: MetricLine,
    form: UnitForm,
    history: tuple[float, str] | None,
) -> ParsedRow:
    """One metric row; `history` is the unit's latest accepted comparable value (value,
    period code), if the warehouse has one."""
    sheet, columns = layout.SHEET_METRICS, layout.METRIC_COLUMNS
    uncalculated = _uncalculated_row(grid, sheet, row, columns)
    if uncalculated is not None:
        return uncalculated
    check = _RowChecker(sheet, row, columns)

    def raw(key: str) -> CellValue:
        return _get(grid, row, check.letters[key])

    inputs = ("value", "numerator", "denominator") if line.uses_fraction else ("value",)
    values: dict[str, Any] = {
        "kpi_code": line.kpi_code,
        "metric_kind": line.kind,
        "value": None,
        "value_entered": None,
        "numerator": None,
        "denominator": None,
        "note": None if is_blank(raw("note")) else read_text(raw("note"))[0],
    }
    if all(is_blank(raw(key)) for key in inputs):
        if form.period.is_annual:  # quarterly reports may leave a value open
            key = "numerator" if line.uses_fraction else "value"
            what = "分子 and 分母 are" if line.uses_fraction else "本期数值 is"
            check.add("missing_required", key, f"{what} required in the annual report")
    elif line.uses_fraction:
        if is_blank(raw("numerator")) or is_blank(raw("denominator")):
            key = "numerator" if is_blank(raw("numerator")) else "denominator"
            check.add("missing_required", key, "分子 and 分母 are both required for a rate")
        else:
            fraction = _parse_fraction(check, raw, line)
            if fraction:
                values.update(fraction)
    else:
        if line.kind == "boolean":
            value, issue = read_boolean(raw("value"))
        else:
            value, issue = read_count(raw("value"), minimum=1 if line.kind == "rank" else 0)
        if issue:
            check.issue("value", issue)
        values["value"] = values["value_entered"] = value
    values["prior_value"] = _parse_prior_value(check, raw, line, form)
    for key in ("numerator", "denominator", "prior_value"):
        if key not in _asked(line, form) and not is_blank(raw(key)):
            check.add("unexpected_value", key, f"{check.headers[key]} is not asked for this row")
    if not check.problems and not plausibility.is_confirmed(values["note"]):
        for finding in plausibility.findings(line, values, history):
            check.add(finding.kind, finding.key, finding.message)
    return _row(check, values, _delivered(grid, row, columns))


def _asked(line: MetricLine, form: UnitForm) -> set[str]:
    """The input cells of a metric row (the others are locked in the template)."""
    asked = {"value", "note"}
    if line.uses_fraction:
        asked |= {"numerator", "denominator"}
    if form.asks_prior_value(line):
        asked.add("prior_value")
    return asked


def _parse_prior_value(
    check: _RowChecker, raw: Callable[[str], CellValue], line: MetricLine, form: UnitForm
) -> float | None:
    """上年数值 (optional): for a rate a percentage read by the form's rule for 本期数值
    (填报说明: 92%, 0.92 and 92 all mean 92 %; below 1 % with the sign, 0.5%), for other
    kinds a number like 本期数值."""
    if "prior_value" not in _asked(line, form) or is_blank(raw("prior_value")):
        return None
    if line.kind == "rate":
        value, issue = read_percent(raw("prior_value"))
    elif line.kind == "ratio":
        value, issue = read_amount(raw("prior_value"))
    else:
        value, issue = read_count(raw("prior_value"), minimum=1 if line.kind == "rank" else 0)
    if issue:
        check.issue("prior_value", issue)
        return None
    return value if isinstance(value, float) else None


def _parse_lines(
    grid: Grid,
    sheet: str,
    columns: tuple[layout.Column, ...],
    code_key: str,
    expected: dict[str, Any],
    parse_one: Callable[[Grid, int, Any], ParsedRow],
    not_held: tuple[str, str],
) -> tuple[list[ParsedRow], list[Problem]]:
    """Rows identified by their code column; `not_held` is the kind and message (with
    {code}) for a code the unit does not report."""
    code_column = layout.column(columns, code_key)
    rows: list[ParsedRow] = []
    seen: dict[str, int] = {}
    for number in _data_rows(grid):
        code = _read_code(_get(grid, number, code_column.letter))
        if code in expected and code not in seen:
            seen[code] = number
            rows.append(parse_one(grid, number, expected[code]))
            continue
        if code in seen:
            kind, message = (
                "duplicate_row",
                f"{code_column.header} {code} already given in row {seen[code]}",
            )
        elif code:
            kind, message = not_held[0], not_held[1].format(code=code)
        else:
            kind, message = "unknown_row", f"row has entries but no {code_column.header}"
        problem = Problem(kind, sheet, f"{code_column.letter}{number}", message)
        rows.append(ParsedRow(sheet, number, {}, _delivered(grid, number, columns), (problem,)))
    missing = [
        Problem("missing_row", sheet, None, f"the row for {code} is missing from the template")
        for code in expected
        if code not in seen
    ]
    return rows, missing


_READ_SHEETS = (layout.SHEET_COVER, layout.SHEET_TASKS, layout.SHEET_METRICS)


def _rows_allowed(name: str, form: UnitForm) -> int:
    lines = {layout.SHEET_TASKS: len(form.tasks), layout.SHEET_METRICS: len(form.metrics)}
    return layout.FIRST_DATA_ROW + lines.get(name, 0) + EXTRA_ROWS_ALLOWED


_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet part holds a formula: most filled workbooks have none, and
    opening a workbook a second time is most of the cost of reading it."""
    with zipfile.ZipFile(path) as archive:
        return any(
            _FORMULA.search(archive.read(name))
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
        )


def _read_workbook(path: Path, received_on: date | None) -> tuple[str, UnitForm, dict[str, Grid]]:
    """Open the workbook and read the three sheets. openpyxl reads a read-only sheet lazily,
    so damaged XML surfaces while iterating: every such error means the file cannot be read.
    It is opened twice: for the saved values, and for the formulas whose value was not saved."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        # openpyxl turns a date-formatted number into a date itself, and one outside its
        # range (20161209) into "#VALUE!": numbers are kept, _cell_value reads them.
        workbook._date_formats = set()
        try:
            version, form = _identify(workbook, received_on)
            grids = {
                name: _read_grid(workbook[name], _rows_allowed(name, form), workbook.epoch)
                for name in _READ_SHEETS
            }
        finally:
            workbook.close()
        if _has_formulas(path):
            formulas = load_workbook(path, read_only=True, data_only=False)
            formulas._date_formats = set()  # only which cells hold formulas matters here
            try:
                grids = {
                    name: _uncalculated(formulas[name], _rows_allowed(name, form), grid)
                    for name, grid in grids.items()
                }
            finally:
                formulas.close()
    except NotASubmission:
        raise
    except DefusedXmlException as error:
        raise NotASubmission(
            "unsafe_file", f"XML refused by defusedxml: {type(error).__name__}"
        ) from error
    except Exception as error:  # zipfile, XML parse, openpyxl index/attribute errors
        raise NotASubmission(
            "not_readable", f"not a readable xlsx workbook: {type(error).__name__}: {error}"
        ) from error
    return version, form, grids


def _check_structure(version: str, form: UnitForm, grids: dict[str, Grid]) -> None:
    """Refuse a workbook whose rows or columns no longer sit where the template put them."""
    metric_columns = layout.METRIC_COLUMNS_BY_VERSION[version]

    def code_reader(
        grid: Grid, columns: tuple[layout.Column, ...], key: str
    ) -> Callable[[int], str]:
        letter = layout.column(columns, key).letter
        return lambda row: _read_code(_get(grid, row, letter)) or f"（无{key}）"

    tasks, metrics = grids[layout.SHEET_TASKS], grids[layout.SHEET_METRICS]
    changes = {
        layout.SHEET_COVER: structure.cover_changes(grids[layout.SHEET_COVER]),
        layout.SHEET_TASKS: structure.column_changes(tasks, layout.TASK_COLUMNS),
        layout.SHEET_METRICS: structure.column_changes(metrics, metric_columns),
    }
    if not changes[layout.SHEET_TASKS]:
        changes[layout.SHEET_TASKS] = structure.row_changes(
            tasks,
            layout.FIRST_DATA_ROW,
            code_reader(tasks, layout.TASK_COLUMNS, "task_no"),
            [str(t.task_no) for t in form.tasks],
            "任务",
        )
    if not changes[layout.SHEET_METRICS]:
        changes[layout.SHEET_METRICS] = structure.row_changes(
            metrics,
            layout.FIRST_DATA_ROW,
            code_reader(metrics, metric_columns, "kpi_code"),
            [m.kpi_code for m in form.metrics],
            "指标",
        )
    found = [f"{sheet}：{change}" for sheet, items in changes.items() for change in items]
    if found:
        raise NotASubmission(
            "structure_changed",
            "；".join(found) + "。表格的行、列与模板不一致，数值会错位，本文件未读取："
            "请撤销上述改动（或在新下载的模板中重新填写）后重新报送，勿增删或移动行、列",
        )


def parse_submission(
    path: Path, received_on: date | None = None, history: HistoryLookup | None = None
) -> ParsedSubmission:
    """Parse a workbook; NotASubmission/FileRejected when it is not one to read at all.
    `received_on` (the day it arrived) bounds the dates a unit may report; `history` gives
    the unit's earlier accepted values for the plausibility check."""
    inspect_workbook(path, SUBMISSION_LIMITS)
    version, form, grids = _read_workbook(path, received_on)
    _check_structure(version, form, grids)
    earlier = history(form) if history is not None else {}
    latest = min(form.period.end, received_on) if received_on else form.period.end
    cover = _parse_cover(grids[layout.SHEET_COVER], form, received_on)
    tasks, missing_tasks = _parse_lines(
        grids[layout.SHEET_TASKS],
        layout.SHEET_TASKS,
        layout.TASK_COLUMNS,
        "task_no",
        {str(t.task_no): t for t in form.tasks},
        lambda grid, row, line: _parse_task_row(grid, row, line, latest),
        (
            "task_not_held",
            f"{form.unit_short_name} does not hold task {{code}} (not a lead or responsible "
            "unit in the plan): remove the row",
        ),
    )
    metrics, missing_metrics = _parse_lines(
        grids[layout.SHEET_METRICS],
        layout.SHEET_METRICS,
        layout.METRIC_COLUMNS,
        "kpi_code",
        {m.kpi_code: m for m in form.metrics},
        lambda grid, row, line: _parse_metric_row(
            grid, row, line, form, earlier.get(line.kpi_code)
        ),
        ("kpi_not_owned", f"{form.unit_short_name} does not report KPI {{code}}"),
    )
    return ParsedSubmission(
        version, form, cover, tuple(tasks), tuple(metrics), tuple(missing_tasks + missing_metrics)
    )
