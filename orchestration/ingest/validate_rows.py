"""Apply a contract to a SourceTable: map headers, parse every cell, check rules.

A row either loads whole or goes to quarantine whole, with every problem it has named by
cell, so one correction round fixes all of them."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from difflib import SequenceMatcher
from operator import add
from typing import Any, TypeVar

from orchestration.ingest.bulk_numbers import bulk_readings
from orchestration.ingest.contract import ColumnSpec, FeedContract, RuleSpec
from orchestration.ingest.delivery import Slot
from orchestration.ingest.errors import summarise
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
    set_aside: bool = False  # not the feed's area (不属于廊坊市): quarantined, counted apart

    @property
    def reason(self) -> str:
        parts = [(p.cell or "", p.message) for p in self.problems]
        return summarise(parts)


@dataclass(frozen=True)
class ValidatedTable:
    good: GoodRows
    bad: list[BadRow]
    header_map: dict[str, str]  # contract column → header as delivered


class MissingColumns(Exception):
    """Required columns are absent: every row of the file is quarantined with this reason.
    `header_map` keeps what was recognised (contract column → header), for the bookkeeping."""

    def __init__(self, message: str, header_map: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.header_map = header_map or {}


# How many headers or synonyms a layout message lists before it counts the rest.
_LISTED = 15


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_LISTED])
    return shown + (f" … (+{len(items) - _LISTED})" if len(items) > _LISTED else "")


def _likely(column: ColumnSpec, ignored: Sequence[str]) -> list[str]:
    """Ignored headers that look like `column`: sharing three characters in a row with one of
    its headers (不合格情况 and 不合格项目), so a message can name the column that went
    unrecognised."""
    found = []
    for header in ignored:
        for synonym in column.headers:
            cleaned = clean_header(synonym)
            match = SequenceMatcher(None, header, cleaned).find_longest_match()
            if match.size >= min(3, len(cleaned)):
                found.append(header)
                break
    return found


def layout_report(
    contract: FeedContract,
    headers: Sequence[str],
    mapping: dict[str, int],
    missing: Sequence[tuple[str, ...]],
) -> str:
    """What a person needs to fix a layout: the missing columns (a tuple: one of them), the
    headers each accepts (and any ignored header that looks like one), the headers found,
    those recognised (→ the column they fed) and those ignored. Lists are capped."""
    used = set(mapping.values())
    ignored = [h for i, h in enumerate(headers) if h and i not in used]
    names = [" or ".join(contract.column(n).label for n in names) for names in missing]
    accepted = []
    for name in (n for names in missing for n in names):
        column = contract.column(name)
        likely = _likely(column, ignored)
        hint = f" (unrecognised but similar: {', '.join(likely)})" if likely else ""
        accepted.append(f"{column.label}: {_listed(column.headers)}{hint}")
    recognised = [f"{headers[i]} → {contract.column(n).label}" for n, i in mapping.items()]
    return (
        f"required columns missing: {', '.join(names)}. "
        f"Accepted headers: {'; '.join(accepted)}. "
        f"Headers found: {_listed([h for h in headers if h]) or 'none'}. "
        f"Recognised: {_listed(recognised) or 'none'}. "
        f"Ignored: {_listed(ignored) or 'none'}."
    )


def column_positions(contract: FeedContract, headers: Sequence[str]) -> dict[str, int]:
    """Contract column name → index of the delivered column carrying it (first synonym that
    a header matches), for the columns the file has."""
    positions = {header: index for index, header in enumerate(headers) if header}
    mapping: dict[str, int] = {}
    for column in contract.read_columns:
        for synonym in column.headers:
            index = positions.get(clean_header(synonym))
            if index is not None:
                mapping[column.name] = index
                break
    return mapping


def map_headers(
    contract: FeedContract,
    headers: tuple[str, ...],
    provided: frozenset[str] = frozenset(),
    hint: str = "",
) -> dict[str, int]:
    """Contract column name → index of the delivered column that carries it. Columns in
    `provided` (filled from the delivery folder or the kind of list) may be absent; a
    `require_one_of` rule needs one of its columns. MissingColumns says what is missing,
    what each missing column accepts, and which headers were found, recognised and ignored;
    `hint` is added to it (e.g. how to declare a 不合格产品 list)."""
    mapping = column_positions(contract, headers)
    missing = [
        (c.name,)
        for c in contract.read_columns
        if c.required and c.name not in mapping and c.name not in provided
    ]
    for rule in contract.rules:
        if rule.require_one_of and not any(c in mapping for c in rule.require_one_of):
            missing.append(rule.require_one_of)
    if missing:
        header_map = {name: headers[index] for name, index in mapping.items()}
        report = layout_report(contract, headers, mapping, missing)
        raise MissingColumns(f"{report}{hint}", header_map)
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


def distinct_keys(cells: list[CellValue]) -> list[object]:
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


def _rule_column(rule: RuleSpec, mapping: dict[str, int]) -> str:
    """The column a broken rule points at: for require_one_of, the first of its columns
    that the file has."""
    if rule.require_one_of:
        return next((c for c in rule.require_one_of if c in mapping), rule.require_one_of[0])
    column = rule.require or rule.forbid or rule.left
    assert column is not None
    return column


def _rule_place(
    contract: FeedContract,
    rule: RuleSpec,
    mapping: dict[str, int],
    headers: Sequence[str],
) -> tuple[int | None, str]:
    """Where a broken rule is shown and the note its message gets: its column's cell; when
    the file has no such column, the cell of the condition that triggered it (the verdict
    cell of "不合格但未填写不合格项目"), and a note that names the missing column and any
    unrecognised header that looks like it (未识别的列：不合格情况)."""
    column = _rule_column(rule, mapping)
    if column in mapping:
        return mapping[column], ""
    index = next((mapping[c] for c in rule.when if c in mapping), None)
    used = set(mapping.values())
    ignored = [h for i, h in enumerate(headers) if h and i not in used]
    likely = _likely(contract.column(column), ignored)
    label = contract.column(column).label
    note = f"（本文件没有“{label}”列"
    return index, note + (f"；未识别的列：{'、'.join(likely)}）" if likely else "）")


def _rule_breaks(rule: RuleSpec, values: dict[str, list[object]]) -> list[int]:
    """Positions of the rows that break `rule`."""
    if rule.require_one_of:
        parts = [values[c] for c in rule.require_one_of]
        return [
            i for i, row in enumerate(zip(*parts, strict=True)) if all(v in (None, "") for v in row)
        ]
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
    fills: Mapping[str, CellValue] | None = None,
    hint: str = "",
    memo: ReadingMemo | None = None,
) -> ValidatedTable:
    """Parse every row of `table` by the contract. With the file's delivery `slot`, the
    source column is filled from (or checked against) the source folder and every row's
    delivery date must lie in the slot's period. `fills`: a value for every row of a column
    the file does not have (what the kind of list declares, e.g. 检验结论 不合格 for a
    不合格产品 list, and the loader-filled columns); read like a delivered cell, its
    original text is not kept (it was not delivered). `hint` is added to a missing-columns
    message.

    Column by column: each distinct value of a column is read once, and cell references
    and messages are made only for the rows with a problem. With `memo`, once for all the
    files that share it (a pass reads hundreds of files that repeat the same values)."""
    source_column = contract.delivery.source_column if slot and slot.source else None
    fills = fills or {}
    provided = frozenset({source_column} if source_column else ()) | frozenset(fills)
    mapping = map_headers(contract, table.headers, provided, hint)
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
        filled = index is None and column.name in fills
        if index is not None:
            cells = [row.values[index] for row in rows]
        else:
            cells = [fills.get(column.name)] * count
        keys = distinct_keys(cells)
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
            originals = [None] * count if filled else [r[1] for r in per_row]
            values[f"{column.name}_original"] = originals
        if any(readings[key][2] for key in firsts):
            for position, reading in enumerate(per_row):
                if reading[2]:
                    add(position, column.name, index, reading[2])
                    unreadable.setdefault(position, set()).add(column.name)
    # rows are checked rule by rule, then problems sorted back into the contract's order
    broken_by_rule = [(rule, _rule_breaks(rule, values)) for rule in contract.rules]
    for rule, positions in broken_by_rule:
        column = _rule_column(rule, mapping)
        if positions:
            place, note = _rule_place(contract, rule, mapping, table.headers)
        for position in positions:
            # a cell that could not be read is reported once, not again as "not filled in"
            if column not in unreadable.get(position, ()):
                add(position, column, place, rule.message + note)
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
