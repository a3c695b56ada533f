"""The bureau's workbook for one assessment year: one government-form sheet per layout.

Each sheet: a merged title (廊坊市2016年度质量兴市工作考核结果——…), a line with 填报单位 and
the publication's date, a one- or two-row header with merged groups, the rows numbered by 序号,
the header frozen and repeated on every printed page, A4 landscape fitted to the width, page
numbers in the footer. The workbook's timestamps are the publication's, so the same version
always gives the same bytes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from orchestration import settings
from orchestration.export.cells import put
from orchestration.export.layouts import INTEGRAL_FORMAT, NUMBER_FORMATS, SHEETS, SheetLayout
from orchestration.ingest.landing import LOCAL_TIME
from orchestration.publication.reader import AssessmentTables, read_assessment
from orchestration.reference import load_seed
from orchestration.xlsx_files import workbook_bytes, write_atomically
from orchestration.xlsx_forms import (
    CENTRE,
    HEADER_FILL,
    HEADER_FONT,
    LEFT,
    RIGHT,
    TITLE_FONT,
    CellStyle,
    Styler,
    header_rows,
    page_setup,
    write_header,
)

# The published tables a workbook is made of.
TABLES = tuple(dict.fromkeys(layout.table for layout in SHEETS))

TITLE = "廊坊市{year}年度质量兴市工作考核结果——{subject}"
# The office that runs the assessment (四(一)); its name comes from the units seed.
REPORTING_UNIT_CODE = "SZLYMPZLLDXZBGS"
CREATOR = "廊坊市质量兴市数据平台"
FOOTER = "&A　第 &P 页，共 &N 页"  # sheet name, page x of n
MARGINS = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.6, header=0.3, footer=0.3)
TITLE_ROW, LINE_ROW, HEADER_ROW = 1, 2, 3

STYLES = {
    "title": CellStyle(font=TITLE_FONT, border=None),
    "line": CellStyle(alignment=LEFT, border=None),
    "line_right": CellStyle(alignment=RIGHT, border=None),
    "header": CellStyle(font=HEADER_FONT, fill=HEADER_FILL),
    **{
        kind: CellStyle(alignment=LEFT if kind == "text" else CENTRE, number_format=fmt)
        for kind, fmt in NUMBER_FORMATS.items()
    },
    "integral": CellStyle(number_format=INTEGRAL_FORMAT),
}


@dataclass(frozen=True)
class ExportResult:
    path: Path
    year: int
    version: int
    bytes: int
    sha256: str
    rows: dict[str, int]  # sheet → data rows


def reporting_unit() -> str:
    """填报单位: the short name of the office that runs the assessment."""
    units = load_seed("ref_units")
    return next(r["short_name"] for r in units if r["unit_code"] == REPORTING_UNIT_CODE)


def _date_text(published_at: datetime) -> str:
    """The publication's date in Beijing time (published_at is UTC), e.g. 2016年12月2日."""
    local = published_at.replace(tzinfo=UTC).astimezone(LOCAL_TIME)
    return f"{local.year}年{local.month}月{local.day}日"


def _write_sheet(
    sheet: Worksheet, layout: SheetLayout, assessment: AssessmentTables, style: Styler
) -> int:
    """One sheet; returns its number of data rows."""
    columns = layout.columns
    width = len(columns)
    title = sheet.cell(TITLE_ROW, 1)
    style(title, "title")
    put(title, TITLE.format(year=assessment.year, subject=layout.name))
    sheet.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=width)
    sheet.row_dimensions[TITLE_ROW].height = 32
    # 填报单位 over the left half, 日期 over the right half of the line.
    middle = max(1, width // 2)
    unit = sheet.cell(LINE_ROW, 1)
    style(unit, "line")
    put(unit, f"填报单位：{reporting_unit()}")
    day = sheet.cell(LINE_ROW, middle + 1)
    style(day, "line_right")
    put(day, f"日期：{_date_text(assessment.published_at)}（第{assessment.version}版）")
    sheet.merge_cells(start_row=LINE_ROW, start_column=1, end_row=LINE_ROW, end_column=middle)
    if middle + 1 < width:
        sheet.merge_cells(
            start_row=LINE_ROW, start_column=middle + 1, end_row=LINE_ROW, end_column=width
        )
    sheet.row_dimensions[LINE_ROW].height = 20

    header_height = header_rows(layout.header)
    write_header(sheet, HEADER_ROW, layout.header)
    for row in range(HEADER_ROW, HEADER_ROW + header_height):
        sheet.row_dimensions[row].height = 30
        for index in range(1, width + 1):
            style(sheet.cell(row, index), "header")  # every cell of a merge: its borders
    first_data = HEADER_ROW + header_height

    rows = sorted(assessment.tables[layout.table], key=layout.order)
    for seq, record in enumerate(rows, start=1):
        line = first_data + seq - 1
        for index, column in enumerate(columns, start=1):
            cell = sheet.cell(line, index)
            value = seq if column.value is None else column.of(record)
            integral = (
                column.kind == "number"
                and isinstance(value, int | float)
                and float(value).is_integer()
            )
            style(cell, "integral" if integral else column.kind)
            put(cell, value)
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = sheet.cell(first_data, 1).coordinate
    page_setup(
        sheet,
        landscape=True,
        title_rows=f"{HEADER_ROW}:{first_data - 1}",
        page_footer=FOOTER,
        margins=MARGINS,
    )
    return len(rows)


def build_workbook(
    assessment: AssessmentTables, layouts: Sequence[SheetLayout] = SHEETS
) -> tuple[Workbook, dict[str, int]]:
    """The workbook and the number of data rows of each sheet."""
    workbook = Workbook()
    style = Styler(STYLES)
    rows: dict[str, int] = {}
    for index, layout in enumerate(layouts):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        assert sheet is not None  # a new Workbook always has one sheet
        sheet.title = layout.name
        rows[layout.name] = _write_sheet(sheet, layout, assessment, style)
    workbook.active = 0
    properties = workbook.properties
    properties.title = TITLE.format(year=assessment.year, subject="考核结果汇总")
    properties.creator = CREATOR
    properties.lastModifiedBy = CREATOR
    properties.version = str(assessment.version)
    return workbook, rows


def export_path(out_dir: Path, year: int, version: int) -> Path:
    """`<out_dir>/langfang_assessment_<year>_v<version>.xlsx`: ASCII, so the name survives
    e-mail gateways, zip tools and GBK Windows machines; the Chinese title is inside."""
    return out_dir / f"langfang_assessment_{year}_v{version}.xlsx"


def export_workbook(
    published: Path, year: int, version: int | None = None, out: Path | None = None
) -> ExportResult:
    """Write the workbook of `year` as published in `version` (default: the latest) to `out`
    (default: settings.exports_dir(), named by export_path), atomically. NotPublished
    (publication/reader.py) when the file, year or version is not there."""
    assessment = read_assessment(published, year, version, TABLES)
    workbook, rows = build_workbook(assessment)
    data = workbook_bytes(workbook, assessment.published_at.replace(microsecond=0))
    path = out or export_path(settings.exports_dir(), year, assessment.version)
    write_atomically(path, data)
    return ExportResult(
        path=path,
        year=year,
        version=assessment.version,
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        rows=rows,
    )
