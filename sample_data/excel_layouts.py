"""Workbook layouts government offices export: a merged title row over a header that may take
two rows (a group name merged over its sub-columns, e.g. 终身责任制度落实情况 over
书面承诺书 | 永久性标牌 | 质量信息档案; single columns merged down over both rows).
The header is orchestration.xlsx_forms'; byte-stable through orchestration.xlsx_files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from orchestration.xlsx_files import save_workbook
from orchestration.xlsx_forms import HeaderCell, header_rows, write_header

__all__ = ["HeaderCell", "write_table_xlsx"]


def write_table_xlsx(
    path: Path,
    sheet_title: str,
    title: str | None,
    header: Sequence[HeaderCell],
    rows: Sequence[Sequence[Any]],
    subtitle: str | None = None,
) -> None:
    """One sheet: an optional merged title row, an optional line below it (e.g. 填报单位),
    then a one- or two-row header, then `rows`.
    Dates become date cells shown as yyyy-mm-dd; everything else is written as given."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    line = 1
    if title:
        sheet.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
        sheet.cell(row=1, column=1).alignment = Alignment(horizontal="center")
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        line = 2
    if subtitle:
        sheet.cell(row=line, column=1, value=subtitle)
        sheet.merge_cells(start_row=line, start_column=1, end_row=line, end_column=len(header))
        line += 1
    for cell in write_header(sheet, line, header):
        cell.font = Font(bold=True)
    first_data = line + header_rows(header)
    for offset, values in enumerate(rows):
        for index, value in enumerate(values, start=1):
            cell = sheet.cell(row=first_data + offset, column=index, value=value)
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    save_workbook(path, workbook)
