"""Reshape a wide delivery (contract `matrix:`) into one record per line key and column, so
the usual per-record validation, quarantine and reconciliation apply to those records.

The national air-quality release is such a layout: lines `date, hour, type` (type = PM2.5,
PM10 …) and one column per station code. A record is one (date, hour, station): its values
are the cells of the hour's lines in the station's column. Rules (docs/feeds/
air_quality_hourly.md):
- records read = every further column × every distinct line key (date, hour) of the file,
  a wholly empty station-hour included (an empty cell is "no value", not an error);
- a record's row number is the file row of the first line of its key;
- every value keeps the cell it came from (D17), a station code the header cell (F1), so a
  problem names the file cell;
- a type repeated within a key starts a second record of that key, which the key check
  quarantines as a duplicate; a type that is no contract column is not read (as an unknown
  column of a flat file)."""

from __future__ import annotations

from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from orchestration.ingest.contract import FeedContract
from orchestration.ingest.normalise import normalise_text
from orchestration.ingest.readers import CellValue, SourceRow, SourceTable, clean_header
from orchestration.ingest.validate_rows import MissingColumns


@dataclass
class _Group:
    """The lines of one line key: first row number, the key cells, type → line."""

    first_row: int
    key_values: tuple[CellValue, ...]
    lines: dict[str, SourceRow] = field(default_factory=dict)


@dataclass(frozen=True)
class _Place:
    """Where a line key's records come from: its key cells, the header row (station codes)
    and the file row of each value column's line (None: no such line)."""

    key_cells: tuple[str, ...]
    header_row: int
    line_rows: tuple[int | None, ...]


@dataclass(frozen=True)
class _Cells:
    """The file cells of one record's values, made only when a problem names one: a record
    is a column (`letter`) of its key's lines."""

    letter: str
    place: _Place

    def __getitem__(self, index: int) -> str | None:
        keys = len(self.place.key_cells)
        if index < keys:
            return self.place.key_cells[index]
        if index == keys:
            return f"{self.letter}{self.place.header_row}"
        row = self.place.line_rows[index - keys - 1]
        return None if row is None else f"{self.letter}{row}"


def _positions(headers: tuple[str, ...], synonyms: tuple[str, ...]) -> int | None:
    wanted = {clean_header(s) for s in synonyms}
    return next((i for i, h in enumerate(headers) if h in wanted), None)


def _groups(table: SourceTable, key_index: list[int], type_index: int) -> list[_Group]:
    open_groups: dict[tuple[str, ...], _Group] = {}
    groups: list[_Group] = []
    for row in table.rows:
        key = tuple(normalise_text(row.values[i] or "") for i in key_index)
        kind = clean_header(row.values[type_index])
        group = open_groups.get(key)
        if group is None or kind in group.lines:
            group = _Group(row.row_number, tuple(row.values[i] for i in key_index))
            open_groups[key] = group
            groups.append(group)
        group.lines[kind] = row
    return groups


def reshape_matrix(contract: FeedContract, table: SourceTable) -> SourceTable:
    """The records of a wide `table` as a flat SourceTable whose headers are contract labels;
    MissingColumns when the type column or a required line column is absent."""
    spec = contract.matrix
    assert spec is not None
    headers = table.headers
    type_index = _positions(headers, spec.type_headers)
    if type_index is None:
        raise MissingColumns(f"required columns missing: {spec.type_headers[0]}")
    line_columns = [
        c for c in contract.columns if c.name != spec.column_is and c.name not in spec.values
    ]
    found = {c.name: _positions(headers, c.headers) for c in line_columns}
    missing = [c.label for c in line_columns if c.required and found[c.name] is None]
    if missing:
        raise MissingColumns(f"required columns missing: {', '.join(missing)}")
    key_columns = [c for c in line_columns if found[c.name] is not None]
    key_index = [found[c.name] for c in key_columns]
    used = {type_index, *key_index}
    width = len(headers)
    further = [
        i
        for i in range(width)
        if i not in used and (headers[i] or any(_filled(r.values[i]) for r in table.rows))
    ]
    # type as delivered (clean) → contract column, through the value columns' headers
    value_columns = [contract.column(name) for name in spec.values]
    type_of = {clean_header(h): c.name for c in value_columns for h in c.headers}
    out_headers = (
        *(c.label for c in key_columns),
        contract.column(spec.column_is).label,
        *(c.label for c in value_columns),
    )
    letters = [get_column_letter(i + 1) for i in range(width)]
    rows: list[SourceRow] = []
    for group in _groups(table, key_index, type_index):
        lines = {type_of[k]: line for k, line in group.lines.items() if k in type_of}
        by_column = [lines.get(c.name) for c in value_columns]
        place = _Place(
            tuple(f"{letters[i]}{group.first_row}" for i in key_index),
            table.header_row,
            tuple(None if line is None else line.row_number for line in by_column),
        )
        for i in further:
            values = (
                *group.key_values,
                headers[i],
                *[None if line is None else line.values[i] for line in by_column],
            )
            rows.append(SourceRow(group.first_row, values, _Cells(letters[i], place)))
    return SourceTable(out_headers, table.header_row, table.sheet, table.encoding, tuple(rows))


def _filled(value: CellValue) -> bool:
    return value is not None and str(value).strip() != ""
