"""Moments with milliseconds in an xlsx sheet, read to the millisecond openpyxl gives.

Excel stores a moment as a day number with a fraction. calamine rounds it to the millisecond
half away from zero over the whole number; openpyxl rounds the fraction alone, half to even. A
time written with exactly 500 µs (an export that keeps microseconds) then reads 1 ms apart, and
the raw record, which keeps every cell as delivered, would change with the reader. For the few
cells calamine gives with milliseconds, the stored number is taken from the sheet's XML and
converted with openpyxl's own from_excel, so the loaded rows stay what they always were.

Only called after xlsx_guard has inspected the file (no DTD, bounded sizes)."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path, PurePosixPath

from defusedxml.ElementTree import fromstring
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
# a cell with its stored value: <c r="M14" s="3"><v>42577.87418697</v></c> (optionally a formula)
_CELL = re.compile(
    rb'<c\b[^>]*?\br="([A-Z]{1,3})(\d{1,7})"[^>]*>(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?'
    rb"<v>([^<]*)</v>"
)


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> tuple[str | None, bool]:
    """The zip member of the worksheet named `sheet`, and whether the workbook counts days
    from 1904."""
    workbook = fromstring(archive.read("xl/workbook.xml"))
    properties = workbook.find(f"{_MAIN}workbookPr")
    mac = properties is not None and properties.get("date1904") in ("1", "true")
    target_id = next(
        (s.get(_REL) for s in workbook.iter(f"{_MAIN}sheet") if s.get("name") == sheet), None
    )
    relations = fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for relation in relations.iter(_PACKAGE_REL):
        if relation.get("Id") == target_id:
            target = relation.get("Target", "")
            if target.startswith("/"):
                return target.lstrip("/"), mac
            return str(PurePosixPath("xl") / target), mac
    return None, mac


def exact_moments(
    path: Path, sheet: str, cells: set[tuple[int, int]]
) -> dict[tuple[int, int], datetime]:
    """openpyxl's moment for each (row, column) of `cells` (0-based) whose stored number is
    found in the sheet's XML; cells not found keep calamine's reading."""
    with zipfile.ZipFile(path) as archive:
        part, mac = _sheet_part(archive, sheet)
        if part is None or part not in archive.namelist():
            return {}
        xml = archive.read(part)
    epoch = CALENDAR_MAC_1904 if mac else CALENDAR_WINDOWS_1900
    moments: dict[tuple[int, int], datetime] = {}
    for match in _CELL.finditer(xml):
        letters, row, stored = match.groups()
        at = (int(row) - 1, column_index_from_string(letters.decode()) - 1)
        if at in cells:
            try:
                moment = from_excel(float(stored), epoch)
            except (ValueError, OverflowError):
                continue
            if isinstance(moment, datetime):
                moments[at] = moment
    return moments
