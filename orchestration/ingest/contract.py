"""Feed contracts: the columns a feed delivers, their header synonyms, types and rules.

Contracts are YAML files in orchestration/feeds/, so a new publisher's header or verdict
spelling is a configuration change, reviewed like code but not written as code."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from orchestration.settings import FEEDS_DIR

COLUMN_TYPES = {"text", "date", "enum", "reference", "credit_code", "integer", "decimal"}
DUCKDB_TYPES = {
    "text": "VARCHAR",
    "date": "DATE",
    "enum": "VARCHAR",
    "reference": "VARCHAR",
    "credit_code": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DOUBLE",
}


class ContractError(ValueError):
    """The contract file itself is wrong: a programming error, never a data error."""


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    label: str
    type: str
    required: bool
    headers: tuple[str, ...]
    reference: str | None = None
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]


@dataclass(frozen=True)
class RuleSpec:
    """A cross-field rule: when every `when` column has its value, `require` must be filled."""

    name: str
    message: str
    when: dict[str, str]
    require: str


@dataclass(frozen=True)
class FeedContract:
    feed: str
    title: str
    landing_dir: str
    file_types: tuple[str, ...]
    table: str
    key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    rules: tuple[RuleSpec, ...]
    empty_values: frozenset[str]

    def column(self, name: str) -> ColumnSpec:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def known_headers(self) -> frozenset[str]:
        return frozenset(h for c in self.columns for h in c.headers)


def _column(raw: dict[str, Any]) -> ColumnSpec:
    if raw["type"] not in COLUMN_TYPES:
        raise ContractError(f"column {raw['name']}: unknown type {raw['type']!r}")
    if raw["type"] == "reference" and not raw.get("reference"):
        raise ContractError(f"column {raw['name']}: a reference column names its reference")
    values = {str(k): tuple(str(v) for v in vs) for k, vs in (raw.get("values") or {}).items()}
    if raw["type"] == "enum" and not values:
        raise ContractError(f"column {raw['name']}: an enum column lists its values")
    headers = tuple(raw.get("headers") or [raw["label"]])
    return ColumnSpec(
        name=raw["name"],
        label=raw["label"],
        type=raw["type"],
        required=bool(raw.get("required", False)),
        headers=headers if raw["label"] in headers else (raw["label"], *headers),
        reference=raw.get("reference"),
        values=values,
    )


def parse_contract(raw: dict[str, Any]) -> FeedContract:
    columns = tuple(_column(c) for c in raw["columns"])
    names = {c.name for c in columns}
    rules = tuple(
        RuleSpec(r["name"], r["message"], {k: str(v) for k, v in r["when"].items()}, r["require"])
        for r in raw.get("rules") or []
    )
    for rule in rules:
        unknown = ({rule.require} | set(rule.when)) - names
        if unknown:
            raise ContractError(f"rule {rule.name}: unknown columns {sorted(unknown)}")
    key = tuple(raw.get("key") or [])
    if set(key) - names:
        raise ContractError(f"key {key} names unknown columns")
    return FeedContract(
        feed=raw["feed"],
        title=raw["title"],
        landing_dir=raw.get("landing_dir", raw["feed"]),
        file_types=tuple(raw.get("file_types") or ["csv", "xlsx"]),
        table=raw["table"],
        key=key,
        columns=columns,
        rules=rules,
        empty_values=frozenset(str(v) for v in raw.get("empty_values") or [""]),
    )


@cache
def load_contract(feed: str, feeds_dir: Path = FEEDS_DIR) -> FeedContract:
    """The contract of `feed`, from orchestration/feeds/<feed>.yaml."""
    with (feeds_dir / f"{feed}.yaml").open(encoding="utf-8") as handle:
        return parse_contract(yaml.safe_load(handle))
