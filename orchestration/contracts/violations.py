"""Every way a row can break its feed contract, made from the contract: for sample generators
that inject mistakes, and for tests.

    from orchestration.contracts.violations import rule_violations, valid_record
    contract = load_contract("sewage")
    record = valid_record(contract, date(2015, 3, 1))      # meets every rule
    for violation in rule_violations(contract):
        bad = violation.break_record(record)                # breaks `violation.rule`
        rows = [record, bad] if violation.repeats_row else [bad]

A record maps contract column names to cell values as a publisher writes them (text, numbers,
dates; None is an empty cell); write it with any layout of the feed (the headers of a column
are `contract.column(name).headers`). `FeedContract.rule_violations()` is the same list.

One violation per rule the loader enforces from the contract, each with the id the compiled
GX expectation carries in `meta.rule` (`orchestration/contracts/suite.py`):

- `<column>.required`: the cell left empty (not for the delivery's source column, which the
  folder fills in);
- `<column>.type`: a cell that does not read as the column's type (date, number, yes/no);
- `<column>.format`: a credit code with a wrong check digit;
- `<column>.values`: a spelling no value map or reference list knows;
- `<column>.range`: a number below `min` / above `max` (one violation per bound);
- `key`: the same key twice in one file (`repeats_row`: add the broken record as a second row);
- each cross-field rule (by its name): the `when` values set and the required cell emptied or
  the forbidden cell filled; or the comparison turned round.

A broken record breaks its own rule; it may break another one too when the record it starts
from does not suit it (e.g. setting 项目类别 to 污水处理厂 on the 排放总量 row also leaves the
plant row without 污水处理量): start from a record that already meets `when` for exactly one
problem per row."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from orchestration.domain.credit_code import CHARSET, check_digit
from orchestration.ingest.contract import ColumnSpec, FeedContract, RuleSpec
from orchestration.ingest.normalise import match_key, parser_for, reference_lookup

Record = dict[str, Any]


@dataclass(frozen=True)
class RuleViolation:
    rule: str  # the rule's id, as the compiled GX expectation's meta.rule
    column: str | None  # the contract column the loader's message names (None: the whole row)
    description: str  # the mistake, in Chinese, as a reviewer reads it
    break_record: Callable[[Mapping[str, Any]], Record] = field(repr=False, compare=False)
    repeats_row: bool = False  # the key rule: the file carries the record twice
    when: Mapping[str, str] = field(default_factory=dict)  # codes the rule applies to


def rule_violations(contract: FeedContract) -> list[RuleViolation]:
    """One violation per rule of the contract (see the module doc), in the contract's order."""
    out: list[RuleViolation] = []
    for column in contract.read_columns:  # a column the loader fills is never delivered
        out.extend(_column_violations(contract, column))
    if contract.key:
        labels = "/".join(contract.column(name).label for name in contract.key)
        out.append(RuleViolation("key", None, f"同一文件中{labels}重复", dict, repeats_row=True))
    out.extend(_rule_violation(contract, rule) for rule in contract.rules)
    return out


def valid_record(contract: FeedContract, day: date) -> Record:
    """A record that meets every rule of the contract: the first code of every value map and
    reference list, the smallest value above `min` (or 1), `day` for every date, noon of
    `day` for date-times, the texts their labels; forbidden cells left empty and strict
    comparisons made to hold."""
    record = {column.name: _valid_value(column, day) for column in contract.columns}
    for rule in contract.rules:
        if rule.forbid and _meets_when(contract, rule, record):
            record[rule.forbid] = None
    for rule in contract.rules:
        if rule.op in (">", "<") and rule.left and rule.right:
            step = 1 if rule.op == ">" else -1
            record[rule.left] = _shift(contract.column(rule.left), record[rule.right], step)
    return record


# --------------------------------------------------------------------------- per column


def _column_violations(contract: FeedContract, column: ColumnSpec) -> Iterator[RuleViolation]:
    name, label = column.name, column.label
    if column.required and name != contract.delivery.source_column:
        yield RuleViolation(f"{name}.required", name, f"{label}为空", _setting(name, None))
    wrong = _unreadable(column)
    if wrong is not None:
        kind = "format" if column.type == "credit_code" else "type"
        yield RuleViolation(
            f"{name}.{kind}", name, f"{label}无法识别：{wrong}", _setting(name, wrong)
        )
    if column.type in ("enum", "reference"):
        unknown = _unknown_spelling(column)
        yield RuleViolation(
            f"{name}.values", name, f"{label}不在值域/名录中：{unknown}", _setting(name, unknown)
        )
    step = 1 if column.type == "integer" else 0.5
    if column.minimum is not None:
        low = column.minimum - step
        yield RuleViolation(
            f"{name}.range", name, f"{label}低于下限 {column.minimum}", _setting(name, low)
        )
    if column.maximum is not None:
        high = column.maximum + step
        yield RuleViolation(
            f"{name}.range", name, f"{label}高于上限 {column.maximum}", _setting(name, high)
        )


def _setting(name: str, value: Any) -> Callable[[Mapping[str, Any]], Record]:
    return lambda record: {**record, name: value}


def _unreadable(column: ColumnSpec) -> str | None:
    """A cell the column's parser refuses (None for text, enum and reference columns: any text
    reads, and an unknown one is a `values` violation)."""
    if column.type == "credit_code":
        base = "91131002MA0ABCDE1"
        right = check_digit(base)
        return base + next(char for char in CHARSET if char != right)
    return {
        "date": "2015-02-30",
        "datetime": "2015-02-30 10:00",
        "integer": "约12",
        "decimal": "约12.5",
        "boolean": "不详",
    }.get(column.type)


def _unknown_spelling(column: ColumnSpec) -> str:
    known = (
        {match_key(s) for spellings in column.values.values() for s in spellings}
        | {match_key(code) for code in column.values}
        if column.type == "enum"
        else set(reference_lookup(column.reference or ""))
    )
    candidate = f"未知{column.label}"
    while match_key(candidate) in known:
        candidate += "X"
    return candidate


def _valid_value(column: ColumnSpec, day: date) -> Any:
    if column.type == "enum":
        spellings = next(iter(column.values.values()))
        return spellings[0] if spellings else next(iter(column.values))
    if column.type == "reference":
        return sorted(set(reference_lookup(column.reference or "").values()))[0]
    if column.type == "boolean":
        return column.values["true"][0]
    if column.type == "date":
        return day
    if column.type == "datetime":
        return datetime.combine(day, datetime.min.time()) + timedelta(hours=12)
    if column.type in ("integer", "decimal"):
        value = (column.minimum if column.minimum is not None else 0) + 1
        if column.maximum is not None:
            value = min(value, column.maximum)
        return int(value) if column.type == "integer" else float(value)
    if column.type == "credit_code":
        base = "91131002MA0ABCDE1"
        return base + check_digit(base)
    return f"{column.label}示例"


# --------------------------------------------------------------------------- cross-field rules


def _rule_violation(contract: FeedContract, rule: RuleSpec) -> RuleViolation:
    if rule.left and rule.right and rule.op:
        return RuleViolation(
            rule.name,
            rule.left,
            rule.message,
            lambda record: _turn_round(contract, rule, record),
        )
    if rule.require_one_of:
        names = rule.require_one_of

        def leave_all_empty(record: Mapping[str, Any]) -> Record:
            return {**record, **dict.fromkeys(names, None)}

        return RuleViolation(rule.name, names[0], rule.message, leave_all_empty)
    target = rule.require or rule.forbid
    assert target is not None

    def break_record(record: Mapping[str, Any]) -> Record:
        out = dict(record)
        for name, code in rule.when.items():
            out[name] = _spelling(contract.column(name), code)
        if rule.require:
            out[target] = None
        elif out.get(target) is None:
            out[target] = _valid_value(contract.column(target), _any_day(out))
        return out

    return RuleViolation(rule.name, target, rule.message, break_record, when=dict(rule.when))


def _spelling(column: ColumnSpec, code: str) -> Any:
    """How a publisher writes the code `code` of a column (its first spelling)."""
    if column.type in ("enum", "boolean"):
        spellings = column.values.get(code.lower() if column.type == "boolean" else code)
        if spellings:
            return spellings[0]
    return code


def _any_day(record: Mapping[str, Any]) -> date:
    for value in record.values():
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
    return date(2015, 1, 1)


def _read(column: ColumnSpec, value: Any) -> Any:
    """A cell as the loader reads it (a date for '2015-03-01', a float for '12.5' …)."""
    if value is None or (isinstance(value, (int, float, date)) and not isinstance(value, bool)):
        return value
    parsed, problem = parser_for(column)(value)
    return None if problem else parsed


def _shift(column: ColumnSpec, value: Any, step: int) -> Any:
    """`value` moved `step` units (days or 1) in a column of its type."""
    if isinstance(value, datetime):
        moved: Any = value + timedelta(days=step)
        return moved.date() if column.type == "date" else moved
    if isinstance(value, date):
        moved = value + timedelta(days=step)
        return datetime.combine(moved, datetime.min.time()) if column.type == "datetime" else moved
    return value + step


def _turn_round(contract: FeedContract, rule: RuleSpec, record: Mapping[str, Any]) -> Record:
    """`left op right` made false: the side that is not the delivery's date column moves (so
    the row stays in its folder's period), by one day or one unit."""
    assert rule.left and rule.right and rule.op
    out = dict(record)
    left, right = contract.column(rule.left), contract.column(rule.right)
    day = _any_day(out)
    a, b = _read(left, out.get(rule.left)), _read(right, out.get(rule.right))
    a = _valid_value(left, day) if a is None else a
    b = _valid_value(right, day) if b is None else b
    # how far the left side must move from the right one to break the comparison
    step = {">=": -1, ">": 0, "<=": 1, "<": 0, "=": 1}[rule.op]
    if rule.left == contract.delivery.date_column or not _within(left, _shift(left, b, step)):
        out[rule.left], out[rule.right] = a, _shift(right, a, -step)
    else:
        out[rule.left], out[rule.right] = _shift(left, b, step), b
    return out


def _within(column: ColumnSpec, value: Any) -> bool:
    if not isinstance(value, (int, float)):
        return True
    low, high = column.minimum, column.maximum
    return (low is None or value >= low) and (high is None or value <= high)


def _meets_when(contract: FeedContract, rule: RuleSpec, record: Mapping[str, Any]) -> bool:
    for name, code in rule.when.items():
        value = _read(contract.column(name), record.get(name))
        if value != (code.lower() == "true" if contract.column(name).type == "boolean" else code):
            return False
    return True
