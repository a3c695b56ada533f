"""Read a delivered file into rows of raw cell values, whatever its format.

Readers know nothing about a feed's meaning: they find the header row, keep the original
header text and each cell's location, and hand strings (or dates/numbers from xlsx) on."""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook, SheetTypeEnum

# FileRejected lives in errors (the guard raises it too); it is still imported from here.
from orchestration.ingest.errors import UNSAFE_FILE, FileRejected, summarise
from orchestration.ingest.xlsx_extent import refuse_oversized_sheets
from orchestration.ingest.xlsx_guard import REFUSED_SUFFIXES, inspect_workbook
from orchestration.ingest.xlsx_moments import exact_moments

# Encodings seen in Chinese government downloads, tried in this order. GB18030 is a superset
# of GBK/GB2312; UTF-8 with BOM is what Excel writes with "CSV UTF-8".
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
HEADER_SEARCH_ROWS = 10
MAX_FILE_BYTES = 100 * 1024 * 1024
# A sheet is read as a grid from A1 to its last filled cell: one stray cell at XFD1048576
# would make that grid 17 billion cells, so a sheet spanning more is refused before it is built.
MAX_SHEET_CELLS = 10_000_000

CellValue = str | int | float | date | datetime | None


class CellPlaces(Protocol):
    """Where each value of a row sits in the file, indexed like the row's values."""

    def __getitem__(self, index: int, /) -> str | None: ...


@dataclass(frozen=True)
class SourceRow:
    row_number: int  # 1-based, as the user sees it in Excel or a text editor
    values: tuple[CellValue, ...]
    # where each value sits in the file, when not in this row (a reshaped wide layout):
    # indexed like `values`, and computed on demand (only a problem names a cell)
    cells: CellPlaces | None = None


@dataclass(frozen=True)
class SourceTable:
    headers: tuple[str, ...]
    header_row: int
    sheet: str | None
    encoding: str | None
    rows: tuple[SourceRow, ...]

    def cell(self, column_index: int, row_number: int) -> str:
        """Spreadsheet-style reference of a cell, e.g. E17."""
        return f"{get_column_letter(column_index + 1)}{row_number}"

    def cell_of(self, row: SourceRow, column_index: int) -> str | None:
        """The file cell of `row`'s value at `column_index`."""
        if row.cells is not None:
            return row.cells[column_index]
        return self.cell(column_index, row.row_number)


def clean_header(value: object) -> str:
    """Headers are compared after NFKC (full-width → ASCII) and with all white space removed."""
    return "".join(unicodedata.normalize("NFKC", str(value or "")).split())


def _find_header(rows: list[tuple[CellValue, ...]], known_headers: frozenset[str]) -> int:
    known = {clean_header(h) for h in known_headers}
    best_index, best_hits = -1, 1
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        hits = sum(1 for value in row if clean_header(value) in known)
        if hits > best_hits:
            best_index, best_hits = index, hits
    if best_index < 0:
        # say what the rows hold, so a person sees a layout the contract does not know
        fullest = max(rows[:HEADER_SEARCH_ROWS], key=_filled_cells, default=())
        seen = [clean_header(v) for v in fullest if clean_header(v)]
        shown = ", ".join(seen[:12]) + (f" … ({len(seen)} cells)" if len(seen) > 12 else "")
        raise FileRejected(
            f"no header row found in the first {HEADER_SEARCH_ROWS} rows: fewer than 2 cells "
            f"of any row are known headers (the fullest row reads: {shown or 'nothing'}; "
            f"expected headers such as {', '.join(sorted(known_headers)[:5])})"
        )
    return best_index


def _filled_cells(row: tuple[CellValue, ...]) -> int:
    return sum(1 for value in row if clean_header(value))


def _two_row_headers(
    top: tuple[CellValue, ...],
    sub: tuple[CellValue, ...],
    known_headers: frozenset[str],
    found: tuple[str, ...] | None = None,
) -> tuple[str, ...] | None:
    """Headers of a two-row layout, or None when `sub` is not a second header row. A merged
    top cell is blank over the columns it spans after its first, so it is carried right over
    them: 行政区划 over 市 | 县区, 标称生产企业 over 名称 | 地址. A column with text in both rows
    is read, first match wins, as `top/sub` (行政区划/县区), `topsub` (标称生产企业名称) or, under
    a top cell spanning two or more columns, `sub` alone; one that matches nothing keeps
    `top/sub`. `sub` is a header row below `top` when one of its columns completes a known
    header and the pair names no fewer known headers than `top` (a data row under the
    header completes none); `top` is a group row above the header row `found` when the pair
    names more known headers than `found` (a title row above it adds none)."""
    known = {clean_header(h) for h in known_headers}
    width = max(len(top), len(sub))
    tops = [clean_header(top[i]) if i < len(top) else "" for i in range(width)]
    subs = [clean_header(sub[i]) if i < len(sub) else "" for i in range(width)]
    # a top cell spans the blank top cells after it that have a sub cell
    spans = [0] * width
    start = -1
    for i, (top_text, sub_text) in enumerate(zip(tops, subs, strict=True)):
        if top_text:
            start = i
        if start >= 0 and sub_text and (top_text or not tops[i]):
            spans[start] += 1
    carried, carried_span, headers, combined_hits = "", 0, [], 0
    for i, (top_text, sub_text) in enumerate(zip(tops, subs, strict=True)):
        if top_text:
            carried, carried_span = top_text, spans[i]
        if not sub_text or not carried:
            headers.append(top_text or sub_text)
            continue
        candidates = [f"{carried}/{sub_text}", f"{carried}{sub_text}"]
        if carried_span >= 2:
            candidates.append(sub_text)
        headers.append(next((c for c in candidates if c in known), candidates[0]))
        combined_hits += headers[-1] in known
    hits = sum(1 for h in headers if h in known)
    if found is not None:  # a row above the header: only when it completes more headers
        return tuple(headers) if hits > sum(1 for h in found if h in known) else None
    # a row below: when it completes a header, and loses none (the group name, 标称生产企业,
    # may itself be a known header: 标称生产企业/名称 takes its place)
    baseline = sum(1 for h in tops if h in known)
    return tuple(headers) if combined_hits and hits >= baseline else None


def _table(
    rows: list[tuple[CellValue, ...]],
    row_numbers: list[int],
    known_headers: frozenset[str],
    sheet: str | None,
    encoding: str | None,
) -> SourceTable:
    header_index = _find_header(rows, known_headers)
    headers = tuple(clean_header(v) for v in rows[header_index])
    # a second header row below the one found, or a group row above it (whichever nesting
    # the publisher merged): the pair is read when it names more known headers than the row
    combined = None
    if header_index + 1 < len(rows):
        combined = _two_row_headers(rows[header_index], rows[header_index + 1], known_headers)
        if combined is not None:
            header_index, headers = header_index + 1, combined
    if combined is None and header_index > 0:
        above = rows[header_index - 1]
        combined = _two_row_headers(above, rows[header_index], known_headers, headers)
        headers = combined or headers
    body = []
    for values, number in zip(
        rows[header_index + 1 :], row_numbers[header_index + 1 :], strict=True
    ):
        if all(v is None or str(v).strip() == "" for v in values):
            continue  # blank lines are layout, not data
        padded = tuple(values) + (None,) * (len(headers) - len(values))
        body.append(SourceRow(number, padded))
    return SourceTable(headers, row_numbers[header_index], sheet, encoding, tuple(body))


def _decode(data: bytes) -> tuple[str, str]:
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise FileRejected(f"not readable as text in any of {', '.join(CSV_ENCODINGS)}")


def read_csv(path: Path, known_headers: frozenset[str]) -> SourceTable:
    text, encoding = _decode(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[CellValue, ...]] = []
    numbers: list[int] = []
    try:
        for record in reader:
            rows.append(tuple(record))
            numbers.append(reader.line_num)
    except csv.Error as error:
        raise FileRejected(f"CSV syntax error at line {reader.line_num}: {error}") from error
    return _table(rows, numbers, known_headers, None, encoding)


def _as_before(value: object) -> CellValue:
    """A calamine cell as the loader has always read xlsx cells (openpyxl's conventions, so
    the typed values and the raw record stay the same): an empty cell is None, a whole
    number an int (Excel stores every number as a float), a date a datetime at midnight."""
    kind = value.__class__
    if kind is str:
        return value or None  # type: ignore[return-value]
    if kind is float:
        return int(value) if value.is_integer() else value  # type: ignore[attr-defined]
    if kind is date:
        return datetime(value.year, value.month, value.day)  # type: ignore[attr-defined]
    return value  # type: ignore[return-value]


def _sheet_rows(path: Path, sheet: str, values: list[list[object]]) -> list[tuple[CellValue, ...]]:
    rows = [tuple(map(_as_before, row)) for row in values]
    with_milliseconds = {
        (r, c)
        for r, row in enumerate(rows)
        for c, value in enumerate(row)
        if value.__class__ is datetime and value.microsecond  # type: ignore[union-attr]
    }
    if not with_milliseconds:
        return rows
    exact = exact_moments(path, sheet, with_milliseconds)
    for r in {r for r, _ in exact}:
        rows[r] = tuple(exact.get((r, c), value) for c, value in enumerate(rows[r]))
    return rows


def _unreadable(error: Exception, where: str) -> FileRejected:
    # calamine raises its own types (and the odd ValueError) for a damaged zip or XML.
    return FileRejected(f"not a readable xlsx workbook: {where}: {type(error).__name__}: {error}")


def read_xlsx(path: Path, known_headers: frozenset[str]) -> SourceTable:
    # The guard refuses zip bombs, macros, legacy/encrypted files and DTDs before calamine
    # opens the file, from the central directory and a bounded scan only. Feeds are read with
    # calamine (Rust, ≈ 10× openpyxl); it gives the cached value of a formula, never the formula.
    inspect_workbook(path)
    refuse_oversized_sheets(path, MAX_SHEET_CELLS)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheets = [m.name for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
    except Exception as error:
        raise _unreadable(error, "workbook") from error
    try:
        problems = []
        for name in sheets:
            try:  # a sheet's XML is parsed only now, so it can fail here too
                sheet = workbook.get_sheet_by_name(name)
            except Exception as error:
                raise _unreadable(error, f"sheet {name}") from error
            values = sheet.to_python(skip_empty_area=False)
            rows = _sheet_rows(path, name, values)
            try:
                return _table(rows, list(range(1, len(rows) + 1)), known_headers, name, None)
            except FileRejected as error:
                problems.append((f"sheet {name}", str(error)))
        # 300 sheets without a header say it once, counted (errors.summarise)
        raise FileRejected(summarise(problems) if problems else "workbook has no sheets")
    finally:
        workbook.close()


READERS = {".csv": read_csv, ".xlsx": read_xlsx}


def read_table(path: Path, known_headers: frozenset[str]) -> SourceTable:
    """Read a CSV or xlsx file; raise FileRejected with a reason a person can act on."""
    suffix = path.suffix.lower()
    if suffix not in READERS:
        if suffix in REFUSED_SUFFIXES:
            inspect_workbook(path)  # refuses these, saying what to save the file as instead
        raise FileRejected(f"file type {suffix or '(none)'} is not accepted (use .csv or .xlsx)")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise FileRejected(
            f"file is {size} bytes, over the {MAX_FILE_BYTES} byte limit", UNSAFE_FILE
        )
    if size == 0:
        raise FileRejected("file is empty")
    return READERS[suffix](path, known_headers)
