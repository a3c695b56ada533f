"""Feed contracts: the columns a feed delivers, their header synonyms, types and rules.

Contracts are YAML files in orchestration/feeds/, so a new publisher's header or verdict
spelling is a configuration change, reviewed like code but not written as code."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from orchestration.reference import project_var
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
    # filled by the loader, never read from a delivered file (e.g. which kind of list a row
    # came from): such a column has no headers and is never "missing"
    filled_by_loader: bool = False
    # raw-table columns this one replaces: an older warehouse's values move here (loader)
    formerly: tuple[str, ...] = ()

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
    """A cross-field rule, one of four kinds:
    - require: when every `when` column has its value, `require` must be filled;
    - forbid: when every `when` column has its value, `forbid` must be empty;
    - compare: `left op right`, checked when both are filled (the problem sits on `left`);
    - require_one_of: at least one of these columns is filled (e.g. the sampled unit or the
      manufacturer); a file without any of them lacks a required column."""

    name: str
    message: str
    when: dict[str, str] = field(default_factory=dict)
    require: str | None = None
    forbid: str | None = None
    left: str | None = None
    op: str | None = None
    right: str | None = None
    require_one_of: tuple[str, ...] = ()

    @property
    def columns(self) -> set[str]:
        named = (*self.when, self.require, self.forbid, self.left, self.right)
        return {c for c in (*named, *self.require_one_of) if c}


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
class FailureListSpec:
    """Published 不合格产品 lists (docs/feeds/spot_checks.md): every row failed and there is
    no sampling date. A delivered file whose name holds one of `file_markers` is such a list:
    `verdict` (a column) takes `verdict_value` where the list has no such column; the delivery
    date column, when absent, takes the first day of the delivery folder's period; the
    loader-filled `flag_column` says the row came from such a list and `date_basis_column`
    what its date is (`date_bases`: sampling date, publication period)."""

    file_markers: tuple[str, ...]
    verdict: str
    verdict_value: str
    flag_column: str
    date_basis_column: str
    date_bases: tuple[str, str] = ("抽样日期", "发布期间")

    def marks(self, file_name: str) -> bool:
        return any(marker in file_name for marker in self.file_markers)


@dataclass(frozen=True)
class AreaSpec:
    """The city a feed's rows must belong to (docs/feeds/spot_checks.md): the project's city
    (dbt vars city_name, city_code; its short name without 市). A row whose
    `city_column` names another city, or (without city and county) whose `address_column`
    names a place outside the city, is set aside as 不属于<name>: quarantined, counted apart,
    never loaded. The city's counties are the reference list of `county_column`."""

    name: str
    aliases: tuple[str, ...]
    city_column: str
    county_column: str
    address_column: str | None = None


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
    failure_lists: FailureListSpec | None = None
    area: AreaSpec | None = None

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

    @property
    def read_columns(self) -> tuple[ColumnSpec, ...]:
        """The columns read from delivered files (not those the loader fills)."""
        return tuple(c for c in self.columns if not c.filled_by_loader)


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
    filled = bool(raw.get("filled_by_loader", False))
    if filled and (raw.get("headers") or raw.get("required")):
        raise ContractError(f"column {raw['name']}: a loader-filled column has no headers")
    headers = () if filled else tuple(raw.get("headers") or [raw["label"]])
    if not filled and raw["label"] not in headers:
        headers = (raw["label"], *headers)
    return ColumnSpec(
        name=raw["name"],
        label=raw["label"],
        type=raw["type"],
        required=bool(raw.get("required", False)),
        headers=headers,
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
        filled_by_loader=filled,
        formerly=tuple(raw.get("formerly") or ()),
    )


def _rule(raw: dict[str, Any]) -> RuleSpec:
    if "check" in raw:
        check = raw["check"]
        if check.get("op") not in COMPARISONS:
            raise ContractError(f"rule {raw['name']}: op must be one of {COMPARISONS}")
        return RuleSpec(
            raw["name"], raw["message"], left=check["left"], op=check["op"], right=check["right"]
        )
    if "require_one_of" in raw:
        columns = tuple(raw["require_one_of"])
        if len(columns) < 2:
            raise ContractError(f"rule {raw['name']}: require_one_of names two or more columns")
        return RuleSpec(raw["name"], raw["message"], require_one_of=columns)
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


def _failure_lists(raw: dict[str, Any] | None, names: set[str]) -> FailureListSpec | None:
    if not raw:
        return None
    spec = FailureListSpec(
        file_markers=tuple(raw["file_markers"]),
        verdict=raw["verdict"],
        verdict_value=str(raw["verdict_value"]),
        flag_column=raw["flag_column"],
        date_basis_column=raw["date_basis_column"],
    )
    unknown = {spec.verdict, spec.flag_column, spec.date_basis_column} - names
    if unknown or not spec.file_markers:
        raise ContractError(f"failure_lists: unknown columns {sorted(unknown)} or no markers")
    return spec


def _area(raw: dict[str, Any] | None, names: set[str]) -> AreaSpec | None:
    if not raw:
        return None
    # the city is the project's (dbt vars city_name, city_code), named once for Python and dbt
    name = str(project_var("city_name"))
    spec = AreaSpec(
        name=name,
        aliases=(name, name.removesuffix("市"), str(project_var("city_code"))),
        city_column=raw["city_column"],
        county_column=raw["county_column"],
        address_column=raw.get("address_column"),
    )
    unknown = {spec.city_column, spec.county_column, spec.address_column} - names - {None}
    if unknown:
        raise ContractError(f"area: unknown columns {sorted(c for c in unknown if c)}")
    return spec


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
        failure_lists=_failure_lists(raw.get("failure_lists"), names),
        area=_area(raw.get("area"), names),
    )


@cache
def load_contract(feed: str, feeds_dir: Path = FEEDS_DIR) -> FeedContract:
    """The contract of `feed`, from orchestration/feeds/<feed>.yaml."""
    with (feeds_dir / f"{feed}.yaml").open(encoding="utf-8") as handle:
        return parse_contract(yaml.safe_load(handle))


def feed_names(feeds_dir: Path = FEEDS_DIR) -> list[str]:
    """Every feed with a contract file (references.yaml holds reference lists, not a feed)."""
    return sorted(p.stem for p in feeds_dir.glob("*.yaml") if p.stem != "references")
