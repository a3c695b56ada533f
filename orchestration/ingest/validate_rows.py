"""Apply a contract to a SourceTable: map headers, parse every cell, check rules.

A row either loads whole or goes to quarantine whole, with every problem it has named by
cell, so one correction round fixes all of them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from orchestration.ingest.contract import FeedContract, RuleSpec
from orchestration.ingest.delivery import Slot
from orchestration.ingest.normalise import normalise_text, parser_for
from orchestration.ingest.readers import CellValue, SourceTable, clean_header


@dataclass(frozen=True)
class CellProblem:
    column: str | None  # contract column name; None for whole-row problems
    cell: str | None  # e.g. "E17"
    message: str


@dataclass(frozen=True)
class GoodRow:
    row_number: int
    values: dict[str, object]
    raw_json: str


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
    good: list[GoodRow]
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


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
}


def _broken_rule(rule: RuleSpec, values: dict[str, object]) -> str | None:
    """The column a broken rule points at, or None when the rule holds."""
    if rule.require is not None:
        applies = all(values.get(k) == v for k, v in rule.when.items())
        return rule.require if applies and values.get(rule.require) in (None, "") else None
    if rule.forbid is not None:
        applies = all(values.get(k) == v for k, v in rule.when.items())
        return rule.forbid if applies and values.get(rule.forbid) not in (None, "") else None
    assert rule.left and rule.right and rule.op
    left, right = values.get(rule.left), values.get(rule.right)
    if left is None or right is None:
        return None
    if isinstance(left, datetime) != isinstance(right, datetime):  # a date against a moment
        left, right = _as_day(left), _as_day(right)
    return None if _COMPARE[rule.op](left, right) else rule.left


def _as_day(value: object) -> object:
    return value.date() if isinstance(value, datetime) else value


def validate_rows(
    contract: FeedContract, table: SourceTable, slot: Slot | None = None
) -> ValidatedTable:
    """Parse every row of `table` by the contract. With the file's delivery `slot`, the
    source column is filled from (or checked against) the source folder and every row's
    delivery date must lie in the slot's period."""
    source_column = contract.delivery.source_column if slot and slot.source else None
    provided = frozenset({source_column} if source_column else ())
    mapping = map_headers(contract, table.headers, provided)
    parsers = {c.name: _memoised(parser_for(c)) for c in contract.columns if c.name in mapping}
    empty = contract.empty_values
    is_empty = _memoised(lambda raw: raw is None or normalise_text(raw) in empty)
    good: list[GoodRow] = []
    bad: list[BadRow] = []
    seen_keys: dict[tuple[object, ...], int] = {}
    for row in table.rows:
        values: dict[str, object] = {}
        problems: list[CellProblem] = []
        for column in contract.columns:
            index = mapping.get(column.name)
            raw = row.values[index] if index is not None else None
            if column.keep_original:
                values[f"{column.name}_original"] = None if is_empty(raw) else str(raw)
            if is_empty(raw) and column.name == source_column:
                assert slot is not None and slot.source_folder is not None
                values[column.name] = slot.source  # the folder names it for every row
                if column.keep_original:
                    values[f"{column.name}_original"] = slot.source_folder
                continue
            if is_empty(raw):
                values[column.name] = None
                if column.required:
                    cell = table.cell_of(row, index) if index is not None else None
                    problems.append(CellProblem(column.name, cell, f"{column.label} is empty"))
                continue
            value, problem = parsers[column.name](raw)
            cell = table.cell_of(row, index) if index is not None else None
            if problem:
                problems.append(CellProblem(column.name, cell, f"{column.label}: {problem}"))
            elif column.name == source_column and slot and value != slot.source:
                problems.append(
                    CellProblem(
                        column.name,
                        cell,
                        f"{column.label} '{normalise_text(raw)}' does not match the delivery "
                        f"folder '{slot.source_folder}'",
                    )
                )
            elif slot and column.name == contract.delivery.date_column:
                day = _as_day(value)
                if isinstance(day, date) and not slot.covers(day):
                    problems.append(
                        CellProblem(
                            column.name,
                            cell,
                            f"{column.label} {day} is outside the delivery period "
                            f"{slot.period} of its folder",
                        )
                    )
            values[column.name] = value
        unreadable = {p.column for p in problems}
        for rule in contract.rules:
            broken = _broken_rule(rule, values)
            # a cell that could not be read is reported once, not again as "not filled in"
            if broken is not None and broken not in unreadable:
                index = mapping.get(broken)
                cell = table.cell_of(row, index) if index is not None else None
                problems.append(CellProblem(broken, cell, rule.message))
        key = tuple(values[k] for k in contract.key)
        # A row whose key is wholly empty has no key (no check); an empty part of a longer key
        # is a value (e.g. the county of a city-wide row), so such rows are checked too.
        if contract.key and not problems and any(part is not None for part in key):
            if key in seen_keys:
                labels = "/".join(contract.column(k).label for k in contract.key)
                shown = "/".join("" if part is None else str(part) for part in key)
                message = f"duplicate {labels} {shown} (first at row {seen_keys[key]})"
                problems.append(CellProblem(None, None, f"row {row.row_number}: {message}"))
            else:
                seen_keys[key] = row.row_number
        raw_json = _raw_json(table.headers, row.values)
        if problems:
            bad.append(BadRow(row.row_number, tuple(problems), raw_json))
        else:
            good.append(GoodRow(row.row_number, values, raw_json))
    header_map = {name: table.headers[index] for name, index in mapping.items()}
    return ValidatedTable(good, bad, header_map)
