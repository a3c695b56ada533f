"""Building blocks of a government-form sheet, shared by everything that writes one (submission
templates, sample feed exports, the bureau's export): the plain looks, named cell styles, the
one- or two-row header with merged groups, and print setup. Saving is orchestration.xlsx_files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from copy import copy
from dataclasses import dataclass

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

# Looks: government forms are plain; colour only says "type here" or "not applicable".
_THIN = Side(style="thin", color="808080")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
TITLE_FONT = Font(name="宋体", bold=True, size=16)
HEADER_FONT = Font(name="宋体", bold=True, size=11)
BODY_FONT = Font(name="宋体", size=11)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")
DATE_FORMAT = "yyyy-mm-dd"

# (top header, sub header or None): None is a single column spanning both header rows; equal
# neighbouring tops with sub headers are one group, merged over its sub-columns.
HeaderCell = tuple[str, str | None]


@dataclass(frozen=True)
class CellStyle:
    font: Font = BODY_FONT
    alignment: Alignment = CENTRE
    border: Border | None = BORDER
    fill: PatternFill | None = None
    locked: bool = True  # only matters on a protected sheet
    number_format: str = "General"


class Styler:
    """Applies named CellStyles. openpyxl re-hashes every style object on each assignment,
    which dominated writing time; a cell's style indices (a StyleArray) are copied instead
    once the workbook has registered a style. One Styler per workbook."""

    def __init__(self, styles: Mapping[str, CellStyle]) -> None:
        self._styles = styles
        self._done: dict[str, StyleArray] = {}

    def __call__(self, cell: Cell, name: str) -> None:
        known = self._done.get(name)
        if known is not None:
            cell._style = copy(known)
            return
        style = self._styles[name]
        cell.font = style.font
        cell.alignment = style.alignment
        if style.border is not None:
            cell.border = style.border
        if style.fill is not None:
            cell.fill = style.fill
        cell.protection = Protection(locked=style.locked)
        cell.number_format = style.number_format
        self._done[name] = copy(cell._style)


def header_rows(header: Sequence[HeaderCell]) -> int:
    """How many rows the header takes: two when any column has a sub header."""
    return 2 if any(sub is not None for _, sub in header) else 1


def write_header(sheet: Worksheet, row: int, header: Sequence[HeaderCell]) -> list[Cell]:
    """Write the header from `row` on: a group's name merged over its sub-columns, a single
    column merged down over both rows. Returns the cells holding a label, for styling."""
    width = len(header)
    two_rows = header_rows(header) == 2
    labelled: list[Cell] = []
    column = 1
    while column <= width:
        top, sub = header[column - 1]
        labelled.append(sheet.cell(row=row, column=column, value=top))
        if not two_rows:
            column += 1
            continue
        if sub is None:
            sheet.merge_cells(
                start_row=row, start_column=column, end_row=row + 1, end_column=column
            )
            column += 1
            continue
        span = column
        while span + 1 <= width and header[span][0] == top and header[span][1] is not None:
            span += 1
        if span > column:
            sheet.merge_cells(start_row=row, start_column=column, end_row=row, end_column=span)
        for index in range(column, span + 1):
            labelled.append(sheet.cell(row=row + 1, column=index, value=header[index - 1][1]))
        column = span + 1
    return labelled


def page_setup(
    sheet: Worksheet,
    *,
    landscape: bool,
    title_rows: str | None = None,
    page_footer: str | None = None,
    margins: PageMargins | None = None,
) -> None:
    """A4, fit to the page width, as many pages down as needed; optionally the rows repeated
    on every page (e.g. "1:4"), a centred footer (Excel codes: &P page, &N pages) and margins
    in inches."""
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_options.horizontalCentered = True
    if title_rows is not None:
        sheet.print_title_rows = title_rows
    if page_footer is not None:
        sheet.oddFooter.center.text = page_footer
        sheet.evenFooter.center.text = page_footer
    if margins is not None:
        sheet.page_margins = margins
