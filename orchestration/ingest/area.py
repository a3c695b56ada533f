"""Set aside the rows of another city: published lists mix cities, and a row of 定州市 or
石家庄市 must never count for 廊坊市.

A row is outside the contract's area (contract `area`) when
- its 市 cell names another city (not the city, its short name or code, nor one of its
  counties: a list may put 三河市 under 市); or
- it has no 市 and no 县区, and its 受检单位地址 names a place (…省/市/县/区/旗) that is not
  the city or one of its counties.
Such a row is set aside before validation with the reason 不属于<city> and the cell it was
read from: it is quarantined (so rows read = loaded + quarantined still holds) and counted
apart as set aside. A 县区 that is no county of the city is left to validation (quarantined
as an unknown county: a typing error and another city's district read alike). A row with no
市, 县区 or address stays, and staging says its place is 未注明 (counted for the city).

Decisions are made once per distinct (市, 县区, address) triple of a file."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from operator import itemgetter

from orchestration.ingest.contract import AreaSpec, FeedContract
from orchestration.ingest.normalise import (
    match_key,
    normalise_text,
    reference_lookup,
    reference_names,
)
from orchestration.ingest.readers import CellValue, SourceTable
from orchestration.ingest.validate_rows import (
    BadRow,
    CellProblem,
    column_positions,
    raw_json_rows,
)

# An address that names a place: a province, city, county, district or banner.
_PLACE = re.compile(r"(省|自治区|市|县|区|旗)")

# (column name, message) of a row outside the area; None for a row inside or undecided.
Verdict = tuple[str, str] | None


@cache
def _area_keys(spec: AreaSpec, county_reference: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """Match keys naming the city in a 市 cell (its names, code and its counties' names and
    aliases), and the names that place an address in the city (city names, counties' full
    names: short aliases such as 开发区 would match other cities' addresses)."""
    counties = reference_lookup(county_reference)
    city_keys = frozenset(match_key(a) for a in spec.aliases) | frozenset(counties)
    address_names = tuple(
        {match_key(a) for a in spec.aliases if not a.isdigit()}
        | {match_key(n) for n in reference_names(county_reference)}
    )
    return city_keys, address_names


def _judge(contract: FeedContract, spec: AreaSpec) -> Callable[..., Verdict]:
    county_reference = contract.column(spec.county_column).reference
    assert county_reference is not None
    city_keys, address_names = _area_keys(spec, county_reference)
    empty = contract.empty_values
    city_label = contract.column(spec.city_column).label
    address_label = contract.column(spec.address_column).label if spec.address_column else ""

    def text(raw: CellValue) -> str | None:
        if raw is None:
            return None
        value = normalise_text(raw)
        return None if value in empty else value

    def judge(city: CellValue, county: CellValue, address: CellValue) -> Verdict:
        city_text = text(city)
        if city_text is not None:
            key = match_key(city_text)
            if key in city_keys or any(a in key for a in address_names):
                return None
            return spec.city_column, f"不属于{spec.name}：{city_label} '{city_text}'"
        if text(county) is not None:
            return None  # a county that is not the city's is an unknown county (validation)
        address_text = text(address)
        if address_text is None:
            return None
        key = match_key(address_text)
        if any(name in key for name in address_names) or not _PLACE.search(key):
            return None
        assert spec.address_column is not None
        return spec.address_column, f"不属于{spec.name}：{address_label} '{address_text}'"

    return judge


def _spread(combo: tuple[object, ...], indexes: list[int | None]) -> list[CellValue]:
    """The (市, 县区, address) cells of a combo of the present columns (None for absent)."""
    present = iter(combo)
    return [next(present) if i is not None else None for i in indexes]  # type: ignore[misc]


def set_aside(contract: FeedContract, table: SourceTable) -> tuple[SourceTable, list[BadRow]]:
    """`table` without the rows of another city, and those rows as set-aside BadRows."""
    spec = contract.area
    if spec is None or not table.rows:
        return table, []
    positions = column_positions(contract, table.headers)
    wanted = [spec.city_column, spec.county_column, spec.address_column]
    indexes = [positions.get(c) if c else None for c in wanted]
    if indexes[0] is None and indexes[2] is None:
        return table, []  # nothing but a county to judge by: validation reads it
    judge = _judge(contract, spec)
    rows = table.rows
    # one decision per distinct triple of cell values, built and looked up at C speed
    values = [row.values for row in rows]
    present = [i for i in indexes if i is not None]
    combos = list(zip(*(map(itemgetter(i), values) for i in present), strict=True))
    verdicts: dict[tuple[object, ...], Verdict] = {
        combo: judge(*_spread(combo, indexes)) for combo in dict.fromkeys(combos)
    }
    if not any(verdicts.values()):
        return table, []
    outside = [
        (position, *verdict)
        for position, verdict in enumerate(map(verdicts.__getitem__, combos))
        if verdict is not None
    ]
    raw_json = raw_json_rows(table.headers, [rows[p] for p, _, _ in outside])
    aside = []
    for (position, column, message), record in zip(outside, raw_json, strict=True):
        row = rows[position]
        cell = table.cell_of(row, positions[column])
        aside.append(BadRow(row.row_number, (CellProblem(column, cell, message),), record, True))
    dropped = {p for p, _, _ in outside}
    kept = tuple(row for i, row in enumerate(rows) if i not in dropped)
    return replace(table, rows=kept), aside
