"""Compile a feed contract into the Great Expectations expectations on its staged table.

A suite file in expectations/ that names a contract (`"contract": "<feed>"`) holds only what
the contract cannot say (rules on derived staged columns, dates not in the future, a pass-rate
band…). `compose_suite` puts the compiled expectations in front of those at load time, so there
is no generated copy to drift: editing the contract or a seed changes the gate.

Compiled, per contract (the note of each, Chinese first, is made from the column's label or the
rule's message):

- the staging model's documented columns exist (`expect_table_columns_to_match_set`);
- per column: required → not null; enum → its codes; reference → the codes of its seed;
  min/max → between; credit_code → the GB 32100 character set and length;
- the key is unique within a delivered file (key + `source_sha256`: staging keeps every
  delivery, so a key repeats across a slot's corrections by design);
- per cross-field rule: require → not null where the `when` columns have their values; forbid →
  null there; compare → a pair expectation, checked where both are filled. A comparison GX
  cannot express (a date against a date-time) and a `require_one_of` rule (GX has no "one of
  these columns is filled") are claimed by a hand-written expectation whose `meta.rule` names
  the rule; a rule neither compiled nor claimed is an error;
- the lineage columns are filled (and the sha256 is 64 characters, rows count from 1).

Contract columns the staging model does not stage, and the rules on them, are listed in the
suite's meta (`contract_columns_not_staged`, `contract_rules_not_staged`): the loader checks
them, GX cannot see them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from orchestration.contracts.staged import LINEAGE_COLUMNS, StagedModel, staged_model
from orchestration.domain.credit_code import CHARSET, LENGTH
from orchestration.ingest.contract import ColumnSpec, FeedContract, RuleSpec, load_contract
from orchestration.ingest.normalise import _reference_specs
from orchestration.reference import load_seed

Entry = dict[str, Any]

CREDIT_CODE_REGEX = f"^[{CHARSET}]{{{LENGTH}}}$"

# a >= b as GX's pair expectation: (column_A, column_B, or_equal) from left op right
_PAIR = {
    ">=": (False, True),
    ">": (False, False),
    "<=": (True, True),
    "<": (True, False),
}
_OP_TEXT = {
    ">=": "不早于/不小于",
    ">": "晚于/大于",
    "<=": "不晚于/不大于",
    "<": "早于/小于",
    "=": "等于",
}


class CompileError(ValueError):
    """A contract (or its suite file) that cannot be compiled: a programming error."""


def reference_codes(reference: str) -> list[str]:
    """The codes of a reference list (references.yaml), in seed order."""
    spec = _reference_specs()[reference]
    return [row[spec["code"]] for row in load_seed(spec["seed"])]


def reference_seed(reference: str) -> str:
    return str(_reference_specs()[reference]["seed"])


def compile_expectations(contract: FeedContract) -> list[Entry]:
    """Every expectation the contract implies on its staged table, in report order."""
    model = staged_model(contract)
    source = f"orchestration/feeds/{contract.feed}.yaml"
    entries: list[Entry] = [
        _entry(
            "expect_table_columns_to_match_set",
            {"column_set": list(model.columns), "exact_match": False},
            f"下游模型依赖的列（staging 模型 {model.name} 文档所列）都存在（允许新增列）。"
            "表可以为空：尚未接入本数据源的部署没有数据，因此不设最少行数。"
            f" / Every column the staging model {model.name} documents is present (extra "
            "columns allowed); the table may be empty.",
            "columns",
        )
    ]
    for column in contract.columns:
        staged = model.column_of(column.name)
        if staged is not None:
            entries.extend(_column_entries(column, staged))
    if contract.key:
        entries.append(_key_entry(contract, model))
    for rule in contract.rules:
        entry = _rule_entry(contract, model, rule)
        if entry is not None:
            entries.append(entry)
    entries.extend(_lineage_entries())
    for entry in entries:
        entry["meta"]["compiled_from"] = source
    return entries


def uncompiled_rules(contract: FeedContract) -> list[RuleSpec]:
    """Cross-field rules on staged columns that GX cannot express (see `compose_suite`)."""
    model = staged_model(contract)
    return [
        rule
        for rule in contract.rules
        if rule not in unstaged_rules(contract) and _rule_entry(contract, model, rule) is None
    ]


def unstaged_rules(contract: FeedContract) -> list[RuleSpec]:
    """Cross-field rules on a column the staging model does not stage: the loader's alone."""
    model = staged_model(contract)
    return [r for r in contract.rules if any(model.column_of(c) is None for c in r.columns)]


def not_staged(contract: FeedContract) -> list[str]:
    model = staged_model(contract)
    return [c.name for c in contract.columns if model.column_of(c.name) is None]


def compose_suite(document: dict[str, Any]) -> dict[str, Any]:
    """The suite a file stands for: a file naming a `contract` gets the compiled expectations
    in front of its own; any other file is its own suite."""
    feed = document.get("contract")
    if not feed:
        return document
    contract = load_contract(feed)
    extras: Sequence[Entry] = document.get("expectations") or []
    claimed = {(entry.get("meta") or {}).get("rule") for entry in extras}
    unclaimed = [rule.name for rule in uncompiled_rules(contract) if rule.name not in claimed]
    if unclaimed:
        raise CompileError(
            f"{document['name']}: contract rules {unclaimed} cannot be compiled to GX; write "
            "them in the suite file with meta.rule naming the rule"
        )
    meta = dict(document.get("meta") or {})
    meta["contract"] = f"orchestration/feeds/{feed}.yaml"
    skipped = not_staged(contract)
    if skipped:
        meta["contract_columns_not_staged"] = skipped
    loader_only = [rule.name for rule in unstaged_rules(contract)]
    if loader_only:
        meta["contract_rules_not_staged"] = loader_only
    return {
        **document,
        "meta": meta,
        "expectations": [*compile_expectations(contract), *extras],
    }


# --------------------------------------------------------------------------- per column


def _entry(kind: str, kwargs: dict[str, Any], notes: str, rule: str) -> Entry:
    return {"type": kind, "kwargs": kwargs, "meta": {"notes": notes, "rule": rule}}


def _column_entries(column: ColumnSpec, staged: str) -> Iterator[Entry]:
    label, name = column.label, column.name
    if column.required:
        yield _entry(
            "expect_column_values_to_not_be_null",
            {"column": staged},
            f"{label}必填（合同 required）。 / {name} is required (contract).",
            f"{name}.required",
        )
    if column.type == "enum":
        codes = list(column.values)
        yield _entry(
            "expect_column_values_to_be_in_set",
            {"column": staged, "value_set": codes},
            f"{label}只能是合同值映射的编码（{'、'.join(codes)}）。"
            f" / {name} is one of the contract's codes.",
            f"{name}.values",
        )
    elif column.type == "reference":
        assert column.reference is not None
        seed = reference_seed(column.reference)
        yield _entry(
            "expect_column_values_to_be_in_set",
            {"column": staged, "value_set": reference_codes(column.reference)},
            f"{label}须为名录 seeds/{seed}.csv 中的编码。 / {name} is a code of seeds/{seed}.csv.",
            f"{name}.values",
        )
    elif column.type == "credit_code":
        yield _entry(
            "expect_column_values_to_match_regex",
            {"column": staged, "regex": CREDIT_CODE_REGEX},
            f"{label}为 18 位统一社会信用代码（GB 32100 字符集）。"
            f" / {name} is 18 characters of the GB 32100 character set.",
            f"{name}.format",
        )
    if column.minimum is not None or column.maximum is not None:
        bounds = {
            key: value
            for key, value in (("min_value", column.minimum), ("max_value", column.maximum))
            if value is not None
        }
        yield _entry(
            "expect_column_values_to_be_between",
            {"column": staged, **bounds},
            f"{label}{_range_text(column)}（合同 min/max）。"
            f" / {name} lies within the contract's bounds.",
            f"{name}.range",
        )


def _range_text(column: ColumnSpec) -> str:
    low, high = _number(column.minimum), _number(column.maximum)
    if low is not None and high is not None:
        return f"在 {low} 与 {high} 之间"
    return f"不小于 {low}" if low is not None else f"不大于 {high}"


def _number(value: float | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else str(value)


def _key_entry(contract: FeedContract, model: StagedModel) -> Entry:
    columns = [model.column_of(name) for name in contract.key]
    if None in columns:
        raise CompileError(f"{model.name}: a key column of {contract.feed} is not staged")
    labels = "、".join(contract.column(name).label for name in contract.key)
    # As the loader's duplicate check: an empty part of a key is a value (nulls compare equal),
    # a row whose key is wholly empty has no key and is not checked.
    kwargs: dict[str, Any] = {"column_list": [*columns, "source_sha256"]}
    if any(contract.column(name).required for name in contract.key):
        kwargs["ignore_row_if"] = "never"
    elif len(columns) == 1:
        kwargs["ignore_row_if"] = "any_value_is_missing"
    else:
        kwargs["ignore_row_if"] = "never"
        kwargs["row_condition"] = {
            "type": "or",
            "conditions": [
                {"type": "nullity", "column": {"name": column}, "is_null": False}
                for column in columns
            ],
        }
    return _entry(
        "expect_compound_columns_to_be_unique",
        kwargs,
        f"同一份文件中（{labels}）不重复（合同主键）；"
        "staging 保留所有交付（更正后被替换的也保留），故键加上来源文件哈希。"
        " / The contract key is unique within a delivered file; staging keeps every delivery,"
        " so the key includes the file's hash.",
        "key",
    )


# --------------------------------------------------------------------------- cross-field rules


def _rule_entry(contract: FeedContract, model: StagedModel, rule: RuleSpec) -> Entry | None:
    staged = {name: model.column_of(name) for name in rule.columns}
    if None in staged.values():
        return None  # a column the staging model does not have: checked at ingestion only
    source = f"合同规则 {rule.name}：不得出现“{rule.message}”（装载时已隔离，此处复核）。"
    if rule.require_one_of:
        return None  # "one of these is filled" has no GX expectation: claimed by hand
    if rule.left and rule.right and rule.op:
        left, right = contract.column(rule.left), contract.column(rule.right)
        if (left.type == "datetime") != (right.type == "datetime") and "date" in (
            left.type,
            right.type,
        ):
            return None  # a day against a moment: the loader compares days, GX cannot
        english = (
            f"Contract rule {rule.name}: {rule.left} {rule.op} {rule.right} where both are filled."
        )
        if rule.op == "=":
            return _entry(
                "expect_column_pair_values_to_be_equal",
                {
                    "column_A": staged[rule.left],
                    "column_B": staged[rule.right],
                    "ignore_row_if": "either_value_is_missing",
                },
                f"{source} / {english}",
                rule.name,
            )
        swap, or_equal = _PAIR[rule.op]
        a, b = (rule.right, rule.left) if swap else (rule.left, rule.right)
        return _entry(
            "expect_column_pair_values_a_to_be_greater_than_b",
            {
                "column_A": staged[a],
                "column_B": staged[b],
                "or_equal": or_equal,
                "ignore_row_if": "either_value_is_missing",
            },
            f"{source} / {english}",
            rule.name,
        )
    target = rule.require or rule.forbid
    assert target is not None
    kwargs: dict[str, Any] = {"column": staged[target]}
    condition = _condition(contract, {staged[k] or k: (k, v) for k, v in rule.when.items()})
    if condition:
        kwargs["row_condition"] = condition
    where = " and ".join(f"{k} == {v!r}" for k, v in rule.when.items()) or "every row"
    verb = "is filled" if rule.require else "is empty"
    return _entry(
        "expect_column_values_to_not_be_null"
        if rule.require
        else "expect_column_values_to_be_null",
        kwargs,
        f"{source} / Contract rule {rule.name}: {target} {verb} where {where}.",
        rule.name,
    )


def _condition(contract: FeedContract, when: dict[str, tuple[str, str]]) -> dict[str, Any] | None:
    """The GX 1.x serialised condition `staged == value` (all of them) for a rule's `when`."""
    conditions = [
        {
            "type": "comparison",
            "column": {"name": staged},
            "operator": "==",
            "parameter": _typed(contract.column(name), value),
        }
        for staged, (name, value) in when.items()
    ]
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else {"type": "and", "conditions": conditions}


def _typed(column: ColumnSpec, value: str) -> Any:
    """A `when` value as the staged column holds it (the contract writes every value as text)."""
    if column.type == "boolean":
        return value.lower() == "true"
    if column.type == "integer":
        return int(value)
    if column.type == "decimal":
        return float(value)
    return value


# --------------------------------------------------------------------------- lineage


def _lineage_entries() -> Iterator[Entry]:
    labels = {
        "source_sha256": "来源文件哈希",
        "source_file": "来源文件名",
        "source_row": "来源文件行号",
        "loaded_at": "装载时间",
    }
    for column in LINEAGE_COLUMNS:
        yield _entry(
            "expect_column_values_to_not_be_null",
            {"column": column},
            f"{labels[column]}必填（数据溯源，装载程序填写）。 / {column} is required (lineage).",
            f"{column}.required",
        )
    yield _entry(
        "expect_column_value_lengths_to_equal",
        {"column": "source_sha256", "value": 64},
        "SHA-256 十六进制摘要为 64 个字符。 / A SHA-256 hex digest has 64 characters.",
        "source_sha256.format",
    )
    yield _entry(
        "expect_column_values_to_be_between",
        {"column": "source_row", "min_value": 1},
        "来源行号从 1 开始。 / source_row starts at 1.",
        "source_row.range",
    )
