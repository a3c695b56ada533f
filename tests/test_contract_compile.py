"""One contract, compiled: the GX expectations on each staged table, the rules section of each
feed's doc and the ways to break a row all come from the feed contract. Real DuckDB (raw tables
made by the loader's DDL, rows read by the loader's `validate_rows`, the staging models' own SQL
as views), real GX, no mocks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import pandas as pd
import pytest

from orchestration.contracts.staged import staged_model
from orchestration.contracts.suite import compile_expectations
from orchestration.contracts.violations import valid_record
from orchestration.ingest.contract import FeedContract, feed_names, load_contract
from orchestration.ingest.loader import _insert_good, ensure_tables
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
    names = [column.name for column in contract.columns]
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
            _insert_good(conn, contract, read.good, lineage)
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
