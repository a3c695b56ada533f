"""Feed contracts: the columns a feed delivers, their header synonyms, types and rules.

Contracts are YAML files in orchestration/feeds/, so a new publisher's header or verdict
spelling is a configuration change, reviewed like code but not written as code."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from orchestration.settings import FEEDS_DIR

if TYPE_CHECKING:
    from orchestration.contracts.violations import RuleViolation

COLUMN_TYPES = {
    "text",
    "date",
    "datetime",
    "enum",
    "reference",
    "credit_code",
    "integer",
    "decimal",
    "boolean",
}
DUCKDB_TYPES = {
    "text": "VARCHAR",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "boolean": "BOOLEAN",
    "enum": "VARCHAR",
    "reference": "VARCHAR",
    "credit_code": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DOUBLE",
}


class ContractError(ValueError):
    """The contract file itself is wrong: a programming error, never a data error."""


@dataclass(frozen=True)
class BelowDetection:
    """How a measurement column spells "below the detection limit" and the method's limit
    (used when the cell names no limit of its own)."""

    limit: float
    spellings: tuple[str, ...]


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    label: str
    type: str
    required: bool
    headers: tuple[str, ...]
    reference: str | None = None
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    keep_original: bool = False  # the raw table also keeps the text as delivered: <name>_original
    minimum: float | None = None  # integer/decimal columns: smallest and largest value accepted
    maximum: float | None = None
    # decimal columns of measurements: a result below the method's detection limit ("未检出",
    # "ND", "<0.01", "0.01L") is read as half the limit (docs/feeds/surface_water.md)
    below_detection: BelowDetection | None = None

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]


# How yes/no is written in government exports, unless a column lists its own spellings.
BOOLEAN_SPELLINGS = {
    "true": ("是", "有", "Y", "YES", "TRUE", "1", "√", "✓"),
    "false": ("否", "没有", "N", "NO", "FALSE", "0", "×", "✗"),
}

COMPARISONS = ("<", "<=", "=", ">=", ">")


@dataclass(frozen=True)
class RuleSpec:
    """A cross-field rule, one of three kinds:
    - require: when every `when` column has its value, `require` must be filled;
    - forbid: when every `when` column has its value, `forbid` must be empty;
    - compare: `left op right`, checked when both are filled (the problem sits on `left`)."""

    name: str
    message: str
    when: dict[str, str] = field(default_factory=dict)
    require: str | None = None
    forbid: str | None = None
    left: str | None = None
    op: str | None = None
    right: str | None = None

    @property
    def columns(self) -> set[str]:
        return {c for c in (*self.when, self.require, self.forbid, self.left, self.right) if c}


@dataclass(frozen=True)
class DeliverySpec:
    """Where a delivery sits and what it covers: raw/<landing_dir>/[<source>/]<period>/<file>.
    `grain` month (YYYY-MM), day (YYYY-MM-DD) or year (YYYY); every row's `date_column` lies
    in the period; `source_column`, when set, is named by the folder above the period."""

    grain: str
    date_column: str
    source_column: str | None = None


@dataclass(frozen=True)
class ScheduleSpec:
    """The feed's Dagster schedule: at `cron` (Beijing time) it asks for the monthly partition
    holding the day `period_lag_days` before the tick."""

    cron: str
    period_lag_days: int
    description: str


@dataclass(frozen=True)
class MatrixSpec:
    """A wide layout (orchestration/ingest/matrix.py): each line holds one variable, named by
    the `type_headers` column, for one value of the other contract columns read from the line
    (e.g. date and hour); every further column is one value of `column_is` (its header, e.g. a
    station code). Reshaped into one record per (line columns, further column) with one
    contract column per variable in `values` (a type matches a column's headers)."""

    type_headers: tuple[str, ...]
    column_is: str
    values: tuple[str, ...]


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
    delivery: DeliverySpec
    schedule: ScheduleSpec | None = None
    matrix: MatrixSpec | None = None

    def column(self, name: str) -> ColumnSpec:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def table_columns(self) -> list[tuple[str, str]]:
        """(name, DuckDB type) of the raw table's data columns, originals kept beside."""
        columns = []
        for column in self.columns:
            columns.append((column.name, column.duckdb_type))
            if column.keep_original:
                columns.append((f"{column.name}_original", "VARCHAR"))
        return columns

    def rule_violations(self) -> list[RuleViolation]:
        """Every way a row can break this contract, each with a way to make it from a valid
        record: for sample generators injecting mistakes (orchestration/contracts/violations.py)."""
        from orchestration.contracts.violations import rule_violations  # it imports this module

        return rule_violations(self)

    @property
    def known_headers(self) -> frozenset[str]:
        extra = self.matrix.type_headers if self.matrix else ()
        return frozenset(h for c in self.columns for h in c.headers) | frozenset(extra)


def _column(raw: dict[str, Any]) -> ColumnSpec:
    if raw["type"] not in COLUMN_TYPES:
        raise ContractError(f"column {raw['name']}: unknown type {raw['type']!r}")
    if raw["type"] == "reference" and not raw.get("reference"):
        raise ContractError(f"column {raw['name']}: a reference column names its reference")
    values = {str(k): tuple(str(v) for v in vs) for k, vs in (raw.get("values") or {}).items()}
    if raw["type"] == "enum" and not values:
        raise ContractError(f"column {raw['name']}: an enum column lists its values")
    if raw["type"] == "boolean":
        # YAML reads the keys true/false as booleans: str() gives True/False
        values = {k.lower(): v for k, v in values.items()} or dict(BOOLEAN_SPELLINGS)
        if set(values) != {"true", "false"}:
            raise ContractError(f"column {raw['name']}: boolean values are keyed true and false")
    bounds = {name: raw.get(name) for name in ("min", "max") if raw.get(name) is not None}
    if bounds and raw["type"] not in ("integer", "decimal"):
        raise ContractError(f"column {raw['name']}: min/max apply to integer and decimal columns")
    below = raw.get("below_detection")
    if below and raw["type"] != "decimal":
        raise ContractError(f"column {raw['name']}: below_detection applies to decimal columns")
    headers = tuple(raw.get("headers") or [raw["label"]])
    return ColumnSpec(
        name=raw["name"],
        label=raw["label"],
        type=raw["type"],
        required=bool(raw.get("required", False)),
        headers=headers if raw["label"] in headers else (raw["label"], *headers),
        reference=raw.get("reference"),
        values=values,
        keep_original=bool(raw.get("keep_original", False)),
        minimum=bounds.get("min"),
        maximum=bounds.get("max"),
        below_detection=BelowDetection(
            float(below["limit"]), tuple(str(v) for v in below.get("spellings") or [])
        )
        if below
        else None,
    )


def _rule(raw: dict[str, Any]) -> RuleSpec:
    if "check" in raw:
        check = raw["check"]
        if check.get("op") not in COMPARISONS:
            raise ContractError(f"rule {raw['name']}: op must be one of {COMPARISONS}")
        return RuleSpec(
            raw["name"], raw["message"], left=check["left"], op=check["op"], right=check["right"]
        )
    if ("require" in raw) == ("forbid" in raw):
        raise ContractError(f"rule {raw['name']}: a rule has one of `require`, `forbid`, `check`")
    when = {k: str(v) for k, v in (raw.get("when") or {}).items()}
    return RuleSpec(
        raw["name"], raw["message"], when=when, require=raw.get("require"), forbid=raw.get("forbid")
    )


def _delivery(raw: dict[str, Any], names: set[str], types: dict[str, str]) -> DeliverySpec:
    if not raw:
        raise ContractError("a feed declares its `delivery` (grain, date_column)")
    delivery = DeliverySpec(raw["grain"], raw["date_column"], raw.get("source_column"))
    if delivery.grain not in ("month", "day", "year"):
        raise ContractError(f"delivery grain {delivery.grain!r}: month, day or year")
    if types.get(delivery.date_column) not in ("date", "datetime"):
        raise ContractError(f"delivery date_column {delivery.date_column!r}: a date column")
    if delivery.source_column and delivery.source_column not in names:
        raise ContractError(f"delivery source_column {delivery.source_column!r} is not a column")
    return delivery


def _schedule(raw: dict[str, Any] | None) -> ScheduleSpec | None:
    if not raw:
        return None
    return ScheduleSpec(
        cron=raw["cron"],
        period_lag_days=int(raw.get("period_lag_days", 0)),
        description=raw.get("description", ""),
    )


def _matrix(raw: dict[str, Any] | None, names: set[str]) -> MatrixSpec | None:
    if not raw:
        return None
    matrix = MatrixSpec(
        type_headers=tuple(raw["type_headers"]),
        column_is=raw["column_is"],
        values=tuple(raw["values"]),
    )
    unknown = ({matrix.column_is} | set(matrix.values)) - names
    if unknown:
        raise ContractError(f"matrix: unknown columns {sorted(unknown)}")
    return matrix


def parse_contract(raw: dict[str, Any]) -> FeedContract:
    columns = tuple(_column(c) for c in raw["columns"])
    names = {c.name for c in columns}
    rules = tuple(_rule(r) for r in raw.get("rules") or [])
    for rule in rules:
        unknown = rule.columns - names
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
        delivery=_delivery(raw.get("delivery") or {}, names, {c.name: c.type for c in columns}),
        schedule=_schedule(raw.get("schedule")),
        matrix=_matrix(raw.get("matrix"), names),
    )


@cache
def load_contract(feed: str, feeds_dir: Path = FEEDS_DIR) -> FeedContract:
    """The contract of `feed`, from orchestration/feeds/<feed>.yaml."""
    with (feeds_dir / f"{feed}.yaml").open(encoding="utf-8") as handle:
        return parse_contract(yaml.safe_load(handle))


def feed_names(feeds_dir: Path = FEEDS_DIR) -> list[str]:
    """Every feed with a contract file (references.yaml holds reference lists, not a feed)."""
    return sorted(p.stem for p in feeds_dir.glob("*.yaml") if p.stem != "references")
