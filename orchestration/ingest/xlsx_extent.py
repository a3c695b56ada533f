"""How far a workbook's sheets reach, read from their XML before any reader builds them.

calamine builds a sheet as one grid from its first to its last filled cell, and the feed reader
asks for it from A1: two cells, at A1 and XFD1048576, make a grid of 17 billion cells and the
process aborts on the allocation. The extent is taken from the cell references in the XML (a
scan in C, no parse) and a sheet spanning more than the limit is refused.

Only called after xlsx_guard has inspected the file (bounded sizes, no DTD)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from openpyxl.utils.cell import column_index_from_string

from orchestration.ingest.errors import UNSAFE_FILE, FileRejected

_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d{1,9})"')
_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})\d')


def refuse_oversized_sheets(path: Path, max_cells: int) -> None:
    """FileRejected (unsafe_file) when a worksheet's cells span more than `max_cells` from A1."""
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = info.filename
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            xml = archive.read(info)
            rows = [int(r) for r in set(_ROW.findall(xml))]
            letters = set(_CELL.findall(xml))
            last_row = max(rows, default=1)
            last_column = max((column_index_from_string(c.decode()) for c in letters), default=1)
            if last_row * last_column > max_cells:
                raise FileRejected(
                    f"{name} spans {last_row} rows × {last_column} columns, over the "
                    f"{max_cells} cell limit",
                    UNSAFE_FILE,
                )
