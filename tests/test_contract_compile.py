"""One contract, compiled: the GX expectations on each staged table, the rules section of each
feed's doc and the ways to break a row all come from the feed contract. Real DuckDB (raw tables
made by the loader's DDL, rows read by the loader's `validate_rows`, the staging models' own SQL
as views), real GX, no mocks."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import pandas as pd
import pytest

from orchestration.contracts import docs
from orchestration.contracts.staged import staged_model
from orchestration.contracts.suite import CompileError, compile_expectations, compose_suite
from orchestration.contracts.violations import rule_violations, valid_record
from orchestration.ingest.contract import FeedContract, feed_names, load_contract
from orchestration.ingest.loader import ensure_tables, insert_good
from orchestration.ingest.readers import SourceRow, SourceTable, clean_header
from orchestration.ingest.validate_rows import ValidatedTable, validate_rows
from orchestration.quality.gx_validation import (
    read_duckdb_table,
    validate_dataframe,
    validate_duckdb_table,
)
from orchestration.settings import DBT_PROJECT_DIR, EXPECTATIONS_DIR

FEEDS = feed_names()
DAY = dt.date(2015, 3, 1)
BASE_SHA = "0" * 64


def read_records(contract: FeedContract, records: list[dict[str, Any]]) -> ValidatedTable:
    """The loader's reading of records written under each column's first header."""
    names = [column.name for column in contract.read_columns]  # the loader fills the others
    headers = tuple(clean_header(contract.column(name).headers[0]) for name in names)
    rows = tuple(
        SourceRow(number, tuple(record[name] for name in names))
        for number, record in enumerate(records, start=2)
    )
    return validate_rows(contract, SourceTable(headers, 1, None, None, rows))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every feed's raw table (the loader's DDL) holding one valid row as the loader reads it,
    and every staging model's SQL as a view over it."""
    database = tmp_path_factory.mktemp("contracts") / "warehouse.duckdb"
    with duckdb.connect(str(database)) as conn:
        conn.execute("create schema staging")
        for feed in FEEDS:
            contract = load_contract(feed)
            ensure_tables(conn, contract)
            read = read_records(contract, [valid_record(contract, DAY)])
            assert not read.bad, read.bad
            lineage = {
                "_source_file": f"{feed}/2015-03/a.csv",
                "_source_sha256": BASE_SHA,
                "_source_sheet": None,
                "_loaded_at": dt.datetime(2015, 4, 1, 8),
            }
            insert_good(conn, contract, read.good, lineage)
            model = staged_model(contract)
            sql = (DBT_PROJECT_DIR / "models" / "staging" / f"{model.name}.sql").read_text("utf-8")
            view = jinja2.Environment().from_string(sql).render(source=lambda s, n: f"{s}.{n}")
            conn.execute(f"create view {model.relation} as {view}")
    return database


@pytest.mark.parametrize("feed", FEEDS)
def test_a_valid_row_passes_its_feeds_suite(warehouse: Path, feed: str) -> None:
    model = staged_model(load_contract(feed))
    outcome = validate_duckdb_table(
        warehouse, model.relation, EXPECTATIONS_DIR / f"{model.name}.json"
    )
    assert outcome.success, [(o.expectation_type, o.column) for o in outcome.failed_outcomes]
    assert outcome.rows_validated == 1


# --------------------------------------------------------------------------- bad staged rows


def _break(
    frame: pd.DataFrame, contract: FeedContract, rule: str, entry: dict[str, Any]
) -> pd.DataFrame:
    """The staged row (frame's first) changed to break `rule` alone, written here from the
    rule's meaning, not from the compiler."""
    row = frame.iloc[[0]].copy()
    row["source_row"] = len(frame) + 1
    if rule != "key":
        row["source_sha256"] = f"{len(frame):064d}"  # a file of its own: no key collides
    kwargs = entry["kwargs"]
    column = kwargs.get("column")
    kind = rule.rpartition(".")[2] if "." in rule else rule
    if kind == "required":
        row[column] = None
    elif kind == "values":
        row[column] = "不存在的编码"
    elif kind == "range":
        row[column] = kwargs["max_value"] + 1 if "max_value" in kwargs else kwargs["min_value"] - 1
    elif kind == "format":
        row[column] = "91131002IO1234567X" if column == "credit_code" else "abc"
    elif kind == "key":
        return row  # the same key in the same file (the base row's sha256)
    else:
        spec = next(r for r in contract.rules if r.name == rule)
        model = staged_model(contract)
        for name, code in spec.when.items():
            row[model.column_of(name)] = code
        if spec.require:
            row[kwargs["column"]] = None
        elif spec.forbid:
            row[kwargs["column"]] = "x"
        else:  # column_A >= column_B (or >) made false: A moved below B
            a, b = kwargs["column_A"], kwargs["column_B"]
            value = row[b].iloc[0]
            step = pd.Timedelta(days=1) if isinstance(value, pd.Timestamp) else 1
            row[a] = value - step if kwargs.get("or_equal") else value
    return row


@pytest.mark.parametrize("feed", FEEDS)
def test_every_compiled_expectation_rejects_a_staged_row_breaking_its_rule(
    warehouse: Path, feed: str
) -> None:
    contract = load_contract(feed)
    model = staged_model(contract)
    suite = EXPECTATIONS_DIR / f"{model.name}.json"
    frame = read_duckdb_table(warehouse, model.relation)
    assert len(frame) == 1
    compiled = [e for e in compile_expectations(contract) if e["meta"]["rule"] != "columns"]
    expected: dict[str, int] = {}
    for entry in compiled:
        rule = entry["meta"]["rule"]
        frame = pd.concat([frame, _break(frame, contract, rule, entry)], ignore_index=True)
        expected[rule] = 2 if rule == "key" else 1
    outcome = validate_dataframe(frame, suite)
    failed = {
        o.meta["rule"]: o.unexpected_count
        for o in outcome.failed_outcomes
        if "compiled_from" in o.meta  # hand-written rules on derived columns may fail too
    }
    # every compiled expectation fails, at least on its own row (a range-breaking row may break
    # a comparison too: 有效样本数 -1 is below 满意样本数)
    assert set(failed) == set(expected)
    assert all(failed[rule] >= count for rule, count in expected.items()), failed
    for item in outcome.failed_outcomes:
        assert item.note and " / " in item.note  # the Chinese explanation travels with it


def test_each_staging_model_documents_exactly_its_columns(warehouse: Path) -> None:
    """The compiled column set is the model's YAML; the view has exactly those columns."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        for feed in FEEDS:
            model = staged_model(load_contract(feed))
            columns = [
                c
                for (c,) in conn.execute(
                    f"select column_name from (describe {model.relation})"
                ).fetchall()
            ]
            assert set(columns) == set(model.columns), feed


SUITES = sorted(EXPECTATIONS_DIR.glob("stg_*.json"))


@pytest.mark.parametrize("path", SUITES, ids=lambda p: p.stem)
def test_every_expectation_is_core_gx_with_a_bilingual_note(path: Path) -> None:
    from great_expectations.expectations.registry import get_expectation_impl

    document = compose_suite(json.loads(path.read_text(encoding="utf-8")))
    for entry in document["expectations"]:
        assert get_expectation_impl(entry["type"]).__module__.startswith(
            "great_expectations.expectations.core."
        )
        chinese, _, english = entry["meta"]["notes"].partition(" / ")
        assert any("\u4e00" <= char <= "\u9fff" for char in chinese) and english, entry
        # a deployment without the feed has an empty table: no suite requires rows
        assert not entry["type"].startswith("expect_table_row_count")


def test_value_sets_are_the_contract_codes_and_the_seed_codes() -> None:
    """Read independently of the compiler: the contract YAML's value maps, references.yaml and
    the seed CSVs."""
    import csv

    import yaml

    from orchestration.settings import FEEDS_DIR, SEEDS_DIR

    references = yaml.safe_load((FEEDS_DIR / "references.yaml").read_text(encoding="utf-8"))
    for feed in FEEDS:
        raw = yaml.safe_load((FEEDS_DIR / f"{feed}.yaml").read_text(encoding="utf-8"))
        contract = load_contract(feed)
        model = staged_model(contract)
        sets = {
            e["kwargs"]["column"]: set(e["kwargs"]["value_set"])
            for e in compile_expectations(contract)
            if e["type"] == "expect_column_values_to_be_in_set"
        }
        expected = {}
        for column in raw["columns"]:
            if column["type"] == "enum":
                expected[model.column_of(column["name"])] = set(map(str, column["values"]))
            elif column["type"] == "reference":
                spec = references[column["reference"]]
                with (SEEDS_DIR / f"{spec['seed']}.csv").open(encoding="utf-8") as handle:
                    codes = {row[spec["code"]] for row in csv.DictReader(handle)}
                expected[model.column_of(column["name"])] = codes
        assert sets == expected, feed


def test_a_rule_gx_cannot_express_must_be_written_by_hand_and_say_so() -> None:
    """complaints' due_after_received compares a date with a date-time by day: the suite file
    carries it as a hand-written expectation whose meta.rule names the rule."""
    path = EXPECTATIONS_DIR / "stg_raw__complaints.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    assert [e["meta"]["rule"] for e in document["expectations"] if "rule" in e["meta"]] == [
        "due_after_received"
    ]
    unclaimed = copy.deepcopy(document)
    for entry in unclaimed["expectations"]:
        entry["meta"].pop("rule", None)
    with pytest.raises(CompileError, match="due_after_received"):
        compose_suite(unclaimed)
    assert len(compose_suite(document)["expectations"]) > len(document["expectations"])


def test_the_docs_rules_sections_are_what_the_contracts_generate() -> None:
    """A generation check (`python -m orchestration.contracts.docs --write` rewrites them)."""
    assert docs.stale_docs() == []
    for feed in FEEDS:
        section = docs.rules_markdown(load_contract(feed))
        for rule in load_contract(feed).rules:
            assert f"`{rule.name}`" in section and rule.message in section
    with pytest.raises(ValueError, match="markers"):
        docs.render("# a doc without the section\n", "x")
    text = f"before\n{docs.BEGIN}\nold\n{docs.END}\nafter\n"
    assert docs.render(text, "NEW") == "before\nNEW\nafter\n"


def test_the_dbt_key_macro_is_what_the_contracts_generate() -> None:
    import yaml

    from orchestration.contracts import dbt_keys

    assert dbt_keys.MACRO_PATH.read_text(encoding="utf-8") == dbt_keys.macro_text()
    assert dbt_keys.contract_keys()["complaints"] == ["hotline_code", "ticket_no"]
    # every feed's current rows are tested on its contract key through that macro
    tested = set()
    for path in (DBT_PROJECT_DIR / "models" / "intermediate").glob("_int_*.yml"):
        for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models") or []:
            for test in model.get("data_tests") or []:
                if isinstance(test, dict) and "contract_key" in test:
                    feed = test["contract_key"]["arguments"]["feed"]
                    assert model["name"] == f"int_{feed}__current"
                    tested.add(feed)
    assert tested == set(FEEDS)


# --------------------------------------------------------------------------- rule violations


@pytest.mark.parametrize("feed", FEEDS)
def test_each_violation_breaks_exactly_its_rule_in_the_loader(feed: str) -> None:
    contract = load_contract(feed)
    record = valid_record(contract, DAY)
    assert not read_records(contract, [record]).bad
    violations = rule_violations(contract)
    assert [v.rule for v in contract.rule_violations()] == [v.rule for v in violations]
    for violation in violations:
        broken = violation.break_record(record)
        read = read_records(contract, [record, broken] if violation.repeats_row else [broken])
        problems = [problem for row in read.bad for problem in row.problems]
        assert [p.column for p in problems] == [violation.column], (violation, problems)
        assert violation.description and any(
            "\u4e00" <= c <= "\u9fff" for c in violation.description
        )
    # every rule the GX suite re-checks can be broken at the source (the staged tables are
    # typed, so `.type` violations have no GX counterpart)
    compiled = {e["meta"]["rule"] for e in compile_expectations(contract)}
    compiled -= {"columns"} | {r for r in compiled if r.split(".")[0] in LINEAGE}
    # the delivery folder fills an empty source column: no way to leave it empty in a file
    compiled -= {f"{contract.delivery.source_column}.required"}
    assert compiled <= {v.rule for v in violations}
    kinds = {v.rule.rpartition(".")[2] for v in violations if "." in v.rule}
    assert kinds <= {"required", "type", "format", "values", "range"}


LINEAGE = {"source_sha256", "source_file", "source_row", "loaded_at"}


def test_a_contract_column_the_staging_model_does_not_stage_is_left_to_the_loader() -> None:
    """e.g. a column a reader uses to filter rows, never staged: no expectation names it, and a
    rule on it is the loader's alone (not an error)."""
    import yaml

    from orchestration.contracts.suite import not_staged, uncompiled_rules, unstaged_rules
    from orchestration.ingest.contract import parse_contract
    from orchestration.settings import FEEDS_DIR

    raw = yaml.safe_load((FEEDS_DIR / "sewage.yaml").read_text(encoding="utf-8"))
    raw["columns"].append({"name": "city", "label": "城市", "type": "text", "required": True})
    raw["rules"].append(
        {
            "name": "plant_row_names_city",
            "message": "未填写城市",
            "when": {"row_type": "plant"},
            "require": "city",
        }
    )
    contract = parse_contract(raw)
    entries = compile_expectations(contract)
    named = {json.dumps(e["kwargs"], ensure_ascii=False) for e in entries}
    assert not any('"city"' in text for text in named)
    assert not_staged(contract) == ["city"]
    assert [r.name for r in unstaged_rules(contract)] == ["plant_row_names_city"]
    assert uncompiled_rules(contract) == []
    assert len(entries) == len(compile_expectations(load_contract("sewage")))
