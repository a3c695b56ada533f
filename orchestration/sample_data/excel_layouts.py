"""Workbook layouts government offices export: a merged title row over a header that may take
two rows (a group name merged over its sub-columns, e.g. 终身责任制度落实情况 over
书面承诺书 | 永久性标牌 | 质量信息档案; single columns merged down over both rows).
Byte-stable through orchestration.xlsx_files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from orchestration.xlsx_files import save_workbook

# (top header, sub header or None): None is a single column spanning both header rows.
HeaderCell = tuple[str, str | None]


def write_table_xlsx(
    path: Path,
    sheet_title: str,
    title: str | None,
    header: Sequence[HeaderCell],
    rows: Sequence[Sequence[Any]],
    subtitle: str | None = None,
) -> None:
    """One sheet: an optional merged title row, an optional merged line below it (e.g. a
    statistics form's 填报单位 line), then a one- or two-row header, then `rows`.
    Dates become date cells shown as yyyy-mm-dd; everything else is written as given."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    width = len(header)
    line = 1
    if title:
        sheet.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
        sheet.cell(row=1, column=1).alignment = Alignment(horizontal="center")
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        line = 2
    if subtitle:
        sheet.cell(row=line, column=1, value=subtitle)
        sheet.merge_cells(start_row=line, start_column=1, end_row=line, end_column=width)
        line += 1
    two_rows = any(sub is not None for _, sub in header)
    column = 1
    while column <= width:
        top, sub = header[column - 1]
        sheet.cell(row=line, column=column, value=top).font = Font(bold=True)
        if not two_rows:
            column += 1
            continue
        if sub is None:
            sheet.merge_cells(
                start_row=line, start_column=column, end_row=line + 1, end_column=column
            )
            column += 1
            continue
        span = column
        while span + 1 <= width and header[span][0] == top and header[span][1] is not None:
            span += 1
        if span > column:
            sheet.merge_cells(start_row=line, start_column=column, end_row=line, end_column=span)
        for index in range(column, span + 1):
            sheet.cell(row=line + 1, column=index, value=header[index - 1][1]).font = Font(
                bold=True
            )
        column = span + 1
    first_data = line + (2 if two_rows else 1)
    for offset, values in enumerate(rows):
        for index, value in enumerate(values, start=1):
            cell = sheet.cell(row=first_data + offset, column=index, value=value)
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    save_workbook(path, workbook)
