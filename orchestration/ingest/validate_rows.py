"""Apply a contract to a SourceTable: map headers, parse every cell, check rules.

A row either loads whole or goes to quarantine whole, with every problem it has named by
cell, so one correction round fixes all of them."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from operator import add
from typing import Any, TypeVar

from orchestration.ingest.bulk_numbers import bulk_readings
from orchestration.ingest.contract import ColumnSpec, FeedContract, RuleSpec
from orchestration.ingest.delivery import Slot
from orchestration.ingest.normalise import normalise_text, parser_for
from orchestration.ingest.readers import CellValue, SourceRow, SourceTable, clean_header


@dataclass(frozen=True)
class CellProblem:
    column: str | None  # contract column name; None for whole-row problems
    cell: str | None  # e.g. "E17"
    message: str


@dataclass(frozen=True)
class GoodRows:
    """The rows that load, column-wise: their file rows and each table column's values,
    position by position. The row as delivered is kept as cells, made into JSON only if the
    row is refused later (a duplicate of a loaded key): a loaded row's lineage is its stored
    file and row number, so no JSON copy of every good row is made."""

    row_numbers: list[int]
    columns: dict[str, list[object]]
    delivered: list[tuple[CellValue, ...]]
    headers: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.row_numbers)

    def take(self, positions: list[int]) -> GoodRows:
        return GoodRows(
            [self.row_numbers[i] for i in positions],
            {name: [values[i] for i in positions] for name, values in self.columns.items()},
            [self.delivered[i] for i in positions],
            self.headers,
        )

    def delivered_json(self, position: int) -> str:
        return _raw_json(self.headers, self.delivered[position])


@dataclass(frozen=True)
class BadRow:
    row_number: int
    problems: tuple[CellProblem, ...]
    raw_json: str

    @property
    def reason(self) -> str:
        return "; ".join(f"{p.cell}: {p.message}" if p.cell else p.message for p in self.problems)


@dataclass(frozen=True)
class ValidatedTable:
    good: GoodRows
    bad: list[BadRow]
    header_map: dict[str, str]  # contract column → header as delivered


class MissingColumns(Exception):
    """Required columns are absent: every row of the file is quarantined with this reason."""


def map_headers(
    contract: FeedContract, headers: tuple[str, ...], provided: frozenset[str] = frozenset()
) -> dict[str, int]:
    """Contract column name → index of the delivered column that carries it. Columns in
    `provided` (filled from the delivery folder) may be absent."""
    positions = {header: index for index, header in enumerate(headers) if header}
    mapping: dict[str, int] = {}
    for column in contract.columns:
        for synonym in column.headers:
            index = positions.get(clean_header(synonym))
            if index is not None:
                mapping[column.name] = index
                break
    missing = [
        c.label
        for c in contract.columns
        if c.required and c.name not in mapping and c.name not in provided
    ]
    if missing:
        raise MissingColumns(f"required columns missing: {', '.join(missing)}")
    return mapping


def _raw_json(headers: tuple[str, ...], values: tuple[CellValue, ...]) -> str:
    # The row as delivered (original headers, original text) travels with it for lineage.
    record = {
        h or f"column_{i + 1}": (None if v is None else str(v))
        for i, (h, v) in enumerate(zip(headers, values, strict=False))
    }
    return json.dumps(record, ensure_ascii=False)


def raw_json_rows(headers: tuple[str, ...], rows: Sequence[SourceRow]) -> list[str]:
    """Every row as delivered, as JSON: the same text as `_raw_json`, assembled from each
    header's and each distinct value's encoding, made once."""
    names = [h or f"column_{i + 1}" for i, h in enumerate(headers)]
    if not names or len(set(names)) < len(names):  # a repeated header keeps its last value
        return [_raw_json(headers, row.values) for row in rows]
    prefixes = [
        ("{" if i == 0 else ", ") + json.dumps(name, ensure_ascii=False) + ": "
        for i, name in enumerate(names)
    ]
    encode = _memoised(lambda v: "null" if v is None else json.dumps(str(v), ensure_ascii=False))
    return ["".join(map(add, prefixes, map(encode, row.values))) + "}" for row in rows]


T = TypeVar("T")


def _memoised(parse: Callable[[CellValue], T]) -> Callable[[CellValue], T]:
    """Published tables repeat a few values (county, verdict, category) thousands of times:
    parse each distinct value once. Keyed by type too, so 1, 1.0 and True stay apart."""
    cache: dict[tuple[type, CellValue], T] = {}

    def parse_once(raw: CellValue) -> T:
        key = (type(raw), raw)
        if key not in cache:
            cache[key] = parse(raw)
        return cache[key]

    return parse_once


def _distinct_keys(cells: list[CellValue]) -> list[object]:
    # a string is its own key (most cells); anything else is keyed with its type, as above
    return [v if v.__class__ is str else (v.__class__, v) for v in cells]


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
}


def _as_day(value: object) -> object:
    return value.date() if isinstance(value, datetime) else value


# What one distinct cell value reads as in one column: (value, text as delivered, problem).
Reading = tuple[object, str | None, str | None]


def _cell_reader(
    contract: FeedContract, column: ColumnSpec, slot: Slot | None
) -> Callable[[CellValue], Reading]:
    """How a cell of `column` reads: a function of its value alone (the slot's checks
    included), so it runs once per distinct value."""
    source_column = contract.delivery.source_column if slot and slot.source else None
    is_source = column.name == source_column
    is_date = slot is not None and column.name == contract.delivery.date_column
    empty = contract.empty_values
    parse = parser_for(column)

    def read(raw: CellValue) -> Reading:
        if raw is None or normalise_text(raw) in empty:
            if is_source:
                assert slot is not None and slot.source_folder is not None
                return slot.source, slot.source_folder, None  # the folder names it
            return None, None, f"{column.label} is empty" if column.required else None
        value, problem = parse(raw)
        if problem:
            return value, str(raw), f"{column.label}: {problem}"
        if is_source and slot and value != slot.source:
            return (
                value,
                str(raw),
                f"{column.label} '{normalise_text(raw)}' does not match the delivery "
                f"folder '{slot.source_folder}'",
            )
        if is_date and slot:
            day = _as_day(value)
            if isinstance(day, date) and not slot.covers(day):
                return (
                    value,
                    str(raw),
                    f"{column.label} {day} is outside the delivery period "
                    f"{slot.period} of its folder",
                )
        return value, str(raw), None

    return read


def _rule_column(rule: RuleSpec) -> str:
    """The column a broken rule points at."""
    column = rule.require or rule.forbid or rule.left
    assert column is not None
    return column


def _rule_breaks(rule: RuleSpec, values: dict[str, list[object]]) -> list[int]:
    """Positions of the rows that break `rule`."""
    if rule.require is None and rule.forbid is None:
        assert rule.left and rule.right and rule.op
        compare = _COMPARE[rule.op]
        broken = []
        for i, (left, right) in enumerate(zip(values[rule.left], values[rule.right], strict=True)):
            if left is None or right is None:
                continue
            if isinstance(left, datetime) != isinstance(right, datetime):
                left, right = _as_day(left), _as_day(right)
            if not compare(left, right):
                broken.append(i)
        return broken
    target = values[rule.require or rule.forbid or ""]
    when = [(values[k], v) for k, v in rule.when.items()]
    applies = range(len(target))
    for column, wanted in when:  # narrowed column by column: most rows fall out at once
        applies = [i for i in applies if column[i] == wanted]
    if rule.require is not None:
        return [i for i in applies if target[i] in (None, "")]
    return [i for i in applies if target[i] not in (None, "")]


# column → distinct cell value → its reading: shared by the files of one pass (ReadingMemo)
ReadingMemo = dict[str, dict[object, Reading]]


def validate_rows(
    contract: FeedContract,
    table: SourceTable,
    slot: Slot | None = None,
    memo: ReadingMemo | None = None,
) -> ValidatedTable:
    """Parse every row of `table` by the contract. With the file's delivery `slot`, the
    source column is filled from (or checked against) the source folder and every row's
    delivery date must lie in the slot's period.

    Column by column: each distinct value of a column is read once, and cell references
    and messages are made only for the rows with a problem. With `memo`, once for all the
    files that share it (a pass reads hundreds of files that repeat the same values)."""
    source_column = contract.delivery.source_column if slot and slot.source else None
    provided = frozenset({source_column} if source_column else ())
    mapping = map_headers(contract, table.headers, provided)
    rows = table.rows
    count = len(rows)
    values: dict[str, list[object]] = {}
    problems: dict[int, list[CellProblem]] = {}
    unreadable: dict[int, set[str]] = {}

    def add(position: int, column: str | None, index: int | None, message: str) -> None:
        cell = table.cell_of(rows[position], index) if index is not None else None
        problems.setdefault(position, []).append(CellProblem(column, cell, message))

    for column in contract.columns:
        index = mapping.get(column.name)
        cells = [row.values[index] for row in rows] if index is not None else [None] * count
        keys = _distinct_keys(cells)
        firsts = dict(zip(reversed(keys), reversed(cells), strict=True))  # first of each key
        # a reading that depends on the file's slot is never shared with another file
        slot_free = column.name not in (source_column, contract.delivery.date_column)
        readings = memo.setdefault(column.name, {}) if memo is not None and slot_free else {}
        unread = {key: raw for key, raw in firsts.items() if key not in readings}
        if unread:
            if slot_free:
                readings.update(bulk_readings(column, unread, contract.empty_values))
            read = _cell_reader(contract, column, slot)
            readings.update({key: read(raw) for key, raw in unread.items() if key not in readings})
        per_row = list(map(readings.__getitem__, keys))
        values[column.name] = [r[0] for r in per_row]
        if column.keep_original:
            values[f"{column.name}_original"] = [r[1] for r in per_row]
        if any(readings[key][2] for key in firsts):
            for position, reading in enumerate(per_row):
                if reading[2]:
                    add(position, column.name, index, reading[2])
                    unreadable.setdefault(position, set()).add(column.name)
    # rows are checked rule by rule, then problems sorted back into the contract's order
    broken_by_rule = [(rule, _rule_breaks(rule, values)) for rule in contract.rules]
    for rule, positions in broken_by_rule:
        column = _rule_column(rule)
        for position in positions:
            # a cell that could not be read is reported once, not again as "not filled in"
            if column not in unreadable.get(position, ()):
                add(position, column, mapping.get(column), rule.message)
    if contract.key:
        seen_keys: dict[tuple[object, ...], int] = {}
        labels = "/".join(contract.column(k).label for k in contract.key)
        key_columns = [values[k] for k in contract.key]
        for position, key in enumerate(zip(*key_columns, strict=True)):
            # A row whose key is wholly empty has no key (no check); an empty part of a longer
            # key is a value (e.g. the county of a city-wide row), so such rows are checked too.
            if position in problems or all(part is None for part in key):
                continue
            if key in seen_keys:
                shown = "/".join("" if part is None else str(part) for part in key)
                number = rows[position].row_number
                message = f"duplicate {labels} {shown} (first at row {seen_keys[key]})"
                add(position, None, None, f"row {number}: {message}")
            else:
                seen_keys[key] = rows[position].row_number
    good_positions = [i for i in range(count) if i not in problems]
    table_names = [name for name, _ in contract.table_columns]
    good = GoodRows(
        [rows[i].row_number for i in good_positions],
        {name: [values[name][i] for i in good_positions] for name in table_names},
        [rows[i].values for i in good_positions],
        table.headers,
    )
    refused = sorted(problems)
    raw_json = raw_json_rows(table.headers, [rows[i] for i in refused])
    bad = [
        BadRow(rows[i].row_number, tuple(problems[i]), text)
        for i, text in zip(refused, raw_json, strict=True)
    ]
    header_map = {name: table.headers[index] for name, index in mapping.items()}
    return ValidatedTable(good, bad, header_map)
