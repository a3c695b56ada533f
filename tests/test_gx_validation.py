"""Great Expectations validation of the staged tables: real GX 1.x, real DuckDB files in
tmp_path, no mocks. Most tests use the spot-check suite (compiled from its contract, plus its
hand-written part); the empty-table test runs all of them on the real staged views."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import duckdb
import jinja2
import pandas as pd
import pytest

from orchestration.contracts.suite import compose_suite
from orchestration.ingest.contract import feed_names, load_contract
from orchestration.ingest.loader import ensure_tables
from orchestration.quality.gx_validation import (
    SuiteOutcome,
    load_suite,
    load_suite_file,
    outcome_markdown,
    validate_dataframe,
    validate_duckdb_table,
    validate_staged_deliveries,
)
from orchestration.reference import load_seed
from orchestration.settings import EXPECTATIONS_DIR
from orchestration.submissions.store import ensure_submission_tables

SUITE = EXPECTATIONS_DIR / "stg_raw__spot_checks.json"
TABLE = "staging.stg_raw__spot_checks"
COUNTIES = [row["county_code"] for row in load_seed("ref_counties")]
CATEGORIES = [
    (row["category_code"], row["stream_code"]) for row in load_seed("ref_product_categories")
]

# Conditional checks carry their condition in `column`, so (type, column) stays unique.
NO_ITEMS = "nonconforming_items where verdict == 'fail'"
VERDICT_FAIL = "verdict where is_pass == False"

ALL_SUITES = sorted(EXPECTATIONS_DIR.glob("stg_*.json"))
DBT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"


def sha(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


# good_rows(40) is two delivered files of 20 rows: spot_checks_0.csv (old), spot_checks_1.csv.
OLD_FILE, NEW_FILE = sha("file0"), sha("file1")

COLUMN_TYPES = {
    "sample_no": "VARCHAR",
    "stream_code": "VARCHAR",
    "stream_code_original": "VARCHAR",
    "sampled_on": "DATE",
    "sample_year": "INTEGER",
    "county_code": "VARCHAR",
    "county_code_original": "VARCHAR",
    "city_name": "VARCHAR",
    "location_basis": "VARCHAR",
    "sampled_unit_name": "VARCHAR",
    "sampled_unit_address": "VARCHAR",
    "manufacturer_name": "VARCHAR",
    "enterprise_name": "VARCHAR",
    "credit_code": "VARCHAR",
    "category_code": "VARCHAR",
    "category_code_original": "VARCHAR",
    "product_name": "VARCHAR",
    "spec_model": "VARCHAR",
    "batch_no": "VARCHAR",
    "sampling_org": "VARCHAR",
    "inspection_agency": "VARCHAR",
    "verdict": "VARCHAR",
    "verdict_original": "VARCHAR",
    "is_pass": "BOOLEAN",
    "nonconforming_items": "VARCHAR",
    "is_failure_list": "BOOLEAN",
    "sampling_date_basis": "VARCHAR",
    "source_sha256": "VARCHAR",
    "source_file": "VARCHAR",
    "source_row": "INTEGER",
    "loaded_at": "TIMESTAMP",
}


def good_rows(count: int = 40) -> list[dict[str, object]]:
    """A clean staged table: every fifth batch fails and names its nonconforming items."""
    rows = []
    for i in range(count):
        category, stream = CATEGORIES[i % len(CATEGORIES)]
        sampled_on = dt.date(2024, 1, 1) + dt.timedelta(days=7 * i)
        failed = i % 5 == 4
        rows.append(
            {
                **dict.fromkeys(COLUMN_TYPES),  # columns left empty: None
                "sample_no": f"GC24{i:06d}",
                "stream_code": stream,
                "sampled_on": sampled_on,
                "sample_year": sampled_on.year,
                "county_code": COUNTIES[i % len(COUNTIES)],
                "sampled_unit_name": f"廊坊市示例企业{i}有限公司",
                "enterprise_name": f"廊坊市示例企业{i}有限公司",
                "location_basis": "县区",
                "sampling_date_basis": "抽样日期",
                "credit_code": f"91131002{i:010d}",
                "category_code": category,
                "product_name": f"样品{i}",
                "verdict": "fail" if failed else "pass",
                "is_pass": not failed,
                "nonconforming_items": "标签标识" if failed else None,
                "is_failure_list": False,
                "source_sha256": sha(f"file{i // 20}"),
                "source_file": f"spot_checks_{i // 20}.csv",
                "source_row": i % 20 + 1,
                "loaded_at": dt.datetime(2025, 1, 6, 8, 0, 0),
            }
        )
    return rows


def write_table(database: Path, rows: list[dict[str, object]]) -> Path:
    """The staged table with the dbt view's column types, in a DuckDB file."""
    frame = pd.DataFrame(rows, columns=list(COLUMN_TYPES))
    columns = ", ".join(f"{name} {kind}" for name, kind in COLUMN_TYPES.items())
    connection = duckdb.connect(str(database))
    try:
        connection.execute("CREATE SCHEMA staging")
        connection.execute(f"CREATE TABLE {TABLE} ({columns})")
        connection.register("frame", frame)
        connection.execute(f"INSERT INTO {TABLE} SELECT * FROM frame")
    finally:
        connection.close()
    return database


def failed(outcome: SuiteOutcome) -> dict[tuple[str, str | None], object]:
    return {(item.expectation_type, item.column): item for item in outcome.failed_outcomes}


def test_good_table_passes_every_expectation(tmp_path: Path) -> None:
    database = write_table(tmp_path / "good.duckdb", good_rows())

    outcome = validate_duckdb_table(database, TABLE, SUITE)

    assert [item for item in outcome.outcomes if not item.success] == []
    assert outcome.success
    assert outcome.failed == 0
    assert outcome.row_count == 40
    assert outcome.evaluated == len(load_suite_file(SUITE).entries)
    assert outcome.seconds > 0
    markdown = outcome_markdown(outcome)
    assert "✅ passed" in markdown
    assert "❌" not in markdown
    assert markdown.count("\n| ") == outcome.evaluated + 2  # header, rule, one line each
    labels = [(item.expectation_type, item.column) for item in outcome.outcomes]
    assert len(set(labels)) == len(labels)


def test_bad_table_names_failing_expectations_with_counts_and_samples(tmp_path: Path) -> None:
    rows = good_rows()
    rows[0]["county_code"] = "131099"  # not a Langfang county
    rows[1]["credit_code"] = "91131002IO12345678"  # I and O are not in the code's alphabet
    rows[3]["sample_no"] = rows[2]["sample_no"]  # the same batch twice in one file
    rows[5]["stream_code"] = None  # a required key missing
    rows[9]["nonconforming_items"] = None  # a failed batch without its items (row 9 fails)
    rows[10]["is_pass"] = False  # disagrees with verdict pass
    rows[11]["sampled_on"] = dt.date(2999, 1, 1)  # typo'd year, beyond pandas' ns range
    rows[11]["sample_year"] = 2999
    database = write_table(tmp_path / "bad.duckdb", rows)

    outcome = validate_duckdb_table(database, TABLE, SUITE)

    assert not outcome.success
    failures = failed(outcome)
    assert set(failures) == {
        ("expect_column_values_to_be_in_set", "county_code"),
        ("expect_column_values_to_match_regex", "credit_code"),
        ("expect_compound_columns_to_be_unique", "sample_no, source_sha256"),
        ("expect_column_values_to_not_be_null", "stream_code"),
        ("expect_column_values_to_not_be_null", NO_ITEMS),
        ("expect_column_values_to_be_in_set", VERDICT_FAIL),
        ("expect_column_values_to_be_between", "sampled_on"),
        ("expect_column_values_to_be_between", "sample_year"),
    }
    assert outcome.failed == len(failures)

    def check(kind: str, column: str, count: int, sample: str) -> None:
        item = failures[(kind, column)]
        assert item.unexpected_count == count, (kind, column, item)
        assert item.unexpected_percent is not None and item.unexpected_percent > 0
        assert any(sample in value for value in item.sample_unexpected), (sample, item)
        assert item.notes  # the reviewer's explanation travels with the outcome

    check("expect_column_values_to_be_in_set", "county_code", 1, "131099")
    check("expect_column_values_to_match_regex", "credit_code", 1, "91131002IO12345678")
    check(
        "expect_compound_columns_to_be_unique",
        "sample_no, source_sha256",
        2,
        str(rows[2]["sample_no"]),
    )
    # Null and conditional checks name the offending rows by file and row.
    check("expect_column_values_to_not_be_null", "stream_code", 1, "source_row=6")
    check("expect_column_values_to_not_be_null", NO_ITEMS, 1, "source_row=10")
    check("expect_column_values_to_be_in_set", VERDICT_FAIL, 1, "source_row=11")
    check("expect_column_values_to_be_between", "sampled_on", 1, "2999-01-01")
    check("expect_column_values_to_be_between", "sample_year", 1, "2999")
    # The suite keeps its file order, whatever order GX evaluated in.
    assert outcome.outcomes[0].expectation_type == "expect_table_columns_to_match_set"

    markdown = outcome_markdown(outcome)
    assert "❌ failed" in markdown
    for value in ("131099", "91131002IO12345678", "source_file=spot_checks_0.csv", "2999-01-01"):
        assert value in markdown


def test_key_column_null_and_missing_column(tmp_path: Path) -> None:
    frame = pd.DataFrame(good_rows(10))
    frame.loc[0, "stream_code"] = None
    frame.loc[1, "sample_no"] = None  # published tables often number rows only: allowed
    frame = frame.drop(columns=["source_file"])

    outcome = validate_dataframe(frame, SUITE)

    failures = failed(outcome)
    assert failures[("expect_column_values_to_not_be_null", "stream_code")].unexpected_count == 1
    assert not any(column == "sample_no" for _, column in failures)
    columns = failures[("expect_table_columns_to_match_set", None)]
    assert "source_file" in (columns.observed_value or "")
    # A check on a missing column fails (with GX's error as its observation), never passes.
    missing = failures[("expect_column_values_to_not_be_null", "source_file")]
    assert "source_file" in (missing.observed_value or "")


def test_validate_duckdb_table_releases_the_file(tmp_path: Path) -> None:
    database = write_table(tmp_path / "warehouse.duckdb", good_rows(5))

    validate_duckdb_table(database, TABLE, SUITE)
    writer = duckdb.connect(str(database))  # fails at once if a lock were still held
    writer.execute(f"DELETE FROM {TABLE} WHERE source_row = 1")
    writer.close()

    with pytest.raises(duckdb.CatalogException):
        validate_duckdb_table(database, "staging.no_such_table", SUITE)
    writer = duckdb.connect(str(database))  # released on the error path too
    assert writer.execute(f"SELECT count(*) FROM {TABLE}").fetchone() == (4,)
    writer.close()


def test_suite_json_loads_and_uses_real_gx_expectations() -> None:
    from great_expectations.expectations.registry import get_expectation_impl

    document = compose_suite(json.loads(SUITE.read_text(encoding="utf-8")))
    suite = load_suite(SUITE)

    assert suite.name == document["name"] == "stg_raw__spot_checks"
    assert len(suite.expectations) == len(document["expectations"])
    for entry in document["expectations"]:
        implementation = get_expectation_impl(entry["type"])
        assert implementation.__module__.startswith("great_expectations.expectations.core.")
        notes = entry["meta"]["notes"]
        assert " / " in notes and any("\u4e00" <= char <= "\u9fff" for char in notes), notes
    assert load_suite(SUITE) is suite  # cached in-process


def test_load_suite_rejects_unknown_expectations(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text(
        json.dumps(
            {
                "name": "broken",
                "expectations": [
                    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}},
                    {"type": "expect_column_values_to_be_purple", "kwargs": {"column": "a"}},
                ],
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"#1 .*expect_column_values_to_be_purple"):
        load_suite(path)


def test_concurrent_validations_in_one_process_stay_separate() -> None:
    from concurrent.futures import ThreadPoolExecutor

    good = pd.DataFrame(good_rows(30))
    bad = good.copy()
    bad.loc[0, "county_code"] = "131099"
    dtypes = bad.dtypes.copy()

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda frame: validate_dataframe(frame, SUITE), [good, bad] * 2))

    assert [outcome.success for outcome in outcomes] == [True, False, True, False]
    assert all(outcome.failed == 1 for outcome in outcomes[1::2])
    assert bad.dtypes.equals(dtypes)  # the caller's frame is not changed


# --------------------------------------------------------------------------- new deliveries


def suite_note(expectation_type: str, column: str) -> str:
    return next(
        entry["meta"]["notes"]
        for entry in load_suite_file(SUITE).entries
        if entry["type"] == expectation_type
        and entry["kwargs"].get("column") == column
        and "row_condition" not in entry["kwargs"]
    )


def test_new_rows_mode_ignores_bad_rows_of_older_deliveries(tmp_path: Path) -> None:
    rows = good_rows()
    rows[3]["county_code"] = "131099"  # in the old file
    rows[4]["stream_code"] = None
    rows[6]["sample_no"] = rows[5]["sample_no"]  # a key repeated within the old file
    database = write_table(tmp_path / "warehouse.duckdb", rows)

    outcome = validate_staged_deliveries(database, TABLE, SUITE, [NEW_FILE])

    assert outcome.success, failed(outcome)
    assert outcome.incremental
    assert outcome.rows_validated == outcome.row_count == 20
    assert outcome.table_row_count == 40
    assert outcome.source_sha256 == (NEW_FILE,)
    assert outcome.source_files == ("spot_checks_1.csv",)
    assert outcome.suite_sha256 == load_suite_file(SUITE).sha256
    scopes = {item.expectation_type: item.scope for item in outcome.outcomes}
    assert scopes["expect_compound_columns_to_be_unique"] == "table"
    assert scopes["expect_column_mean_to_be_between"] == "aggregate"
    assert scopes["expect_column_values_to_be_in_set"] == "rows"
    assert "20 new rows of 1 delivered file(s)" in outcome_markdown(outcome)

    # The whole table (first build / full rebuild) still sees them.
    whole = validate_staged_deliveries(database, TABLE, SUITE, None)
    assert not whole.incremental and whole.rows_validated == 40
    assert set(failed(whole)) == {
        ("expect_column_values_to_be_in_set", "county_code"),
        ("expect_column_values_to_not_be_null", "stream_code"),
        ("expect_compound_columns_to_be_unique", "sample_no, source_sha256"),
    }


def test_new_rows_mode_fails_on_a_bad_row_of_the_new_delivery_naming_file_and_row(
    tmp_path: Path,
) -> None:
    rows = good_rows()
    rows[25]["county_code"] = "131099"  # spot_checks_1.csv, row 6
    rows[27]["stream_code"] = None  # row 8
    rows[31]["sample_no"] = rows[30]["sample_no"]  # rows 11 and 12
    database = write_table(tmp_path / "warehouse.duckdb", rows)

    outcome = validate_staged_deliveries(database, TABLE, SUITE, [NEW_FILE, NEW_FILE])

    assert not outcome.success
    assert outcome.source_sha256 == (NEW_FILE,)  # asked twice, validated once
    failures = failed(outcome)
    assert set(failures) == {
        ("expect_column_values_to_be_in_set", "county_code"),
        ("expect_column_values_to_not_be_null", "stream_code"),
        ("expect_compound_columns_to_be_unique", "sample_no, source_sha256"),
    }
    county = failures[("expect_column_values_to_be_in_set", "county_code")]
    assert county.unexpected_count == 1
    assert county.sample_unexpected == ["131099"]
    assert county.unexpected_rows == ["source_file=spot_checks_1.csv, source_row=6"]
    assert county.note == county.notes == suite_note(county.expectation_type, "county_code")
    assert county.meta["notes"] == county.note
    stream = failures[("expect_column_values_to_not_be_null", "stream_code")]
    assert stream.sample_unexpected == ["source_file=spot_checks_1.csv, source_row=8"]
    key = failures[("expect_compound_columns_to_be_unique", "sample_no, source_sha256")]
    assert key.scope == "table" and key.unexpected_count == 2
    assert key.sample_unexpected == [f"sample_no={rows[30]['sample_no']}, source_sha256={NEW_FILE}"]
    assert key.unexpected_rows == [
        "source_file=spot_checks_1.csv, source_row=11",
        "source_file=spot_checks_1.csv, source_row=12",
    ]
    markdown = outcome_markdown(outcome)
    assert "131099" in markdown and "source_row=8" in markdown


def test_whole_table_key_uniqueness_catches_a_key_repeated_across_old_and_new_rows(
    tmp_path: Path,
) -> None:
    # The composed suite with a key unique across the history (sample_no alone) instead of per
    # file, and a row count: both run in SQL over the whole table in an incremental run.
    document = compose_suite(json.loads(SUITE.read_text(encoding="utf-8")))
    del document["contract"]  # already composed
    for entry in document["expectations"]:
        if entry["type"] == "expect_compound_columns_to_be_unique":
            entry.update(type="expect_column_values_to_be_unique", kwargs={"column": "sample_no"})
    document["expectations"].append(
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"max_value": 40}}
    )
    suite = tmp_path / "history_key.json"
    suite.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    rows = good_rows()
    rows[30]["sample_no"] = rows[5]["sample_no"]  # a new row repeats an old row's key
    database = write_table(tmp_path / "spanning.duckdb", rows)

    outcome = validate_staged_deliveries(database, TABLE, suite, [NEW_FILE])

    assert set(failed(outcome)) == {("expect_column_values_to_be_unique", "sample_no")}
    count = next(o for o in outcome.outcomes if o.expectation_type.startswith("expect_table_row"))
    assert count.scope == "table" and count.success and count.observed_value == "40"
    key = failed(outcome)[("expect_column_values_to_be_unique", "sample_no")]
    assert key.scope == "table"
    assert key.unexpected_count == 2
    assert key.sample_unexpected == [f"sample_no={rows[5]['sample_no']}"]
    assert set(key.unexpected_rows) == {
        "source_file=spot_checks_0.csv, source_row=6",
        "source_file=spot_checks_1.csv, source_row=11",
    }

    # A key repeated among old rows only failed when its file was new; it does not fail the
    # next delivery's validation, and a full validation still reports it.
    rows = good_rows()
    rows[6]["sample_no"] = rows[5]["sample_no"]
    database = write_table(tmp_path / "old_only.duckdb", rows)
    assert validate_staged_deliveries(database, TABLE, suite, [NEW_FILE]).success
    assert not validate_staged_deliveries(database, TABLE, suite, None).success


def test_pass_rate_band_applies_to_the_new_rows(tmp_path: Path) -> None:
    rows = good_rows(100)  # five files; the last one is mostly failed batches
    for row in rows[80:95]:
        row.update(verdict="fail", is_pass=False, nonconforming_items="标签标识")
    database = write_table(tmp_path / "warehouse.duckdb", rows)
    label = ("expect_column_mean_to_be_between", "is_pass where is_failure_list == False")

    new = validate_staged_deliveries(database, TABLE, SUITE, [sha("file4")])
    whole = validate_staged_deliveries(database, TABLE, SUITE, None)

    assert set(failed(new)) == {label}
    assert failed(new)[label].observed_value == "0.2"
    assert whole.success  # diluted by the history: 68 % over the whole table


def test_a_run_of_failure_lists_only_leaves_the_pass_rate_band_unevaluated(
    tmp_path: Path,
) -> None:
    """A delivery of published 不合格产品 lists (every row failed, is_failure_list) is no sample:
    the pass-rate band is not evaluated on it, and the run passes."""
    rows = good_rows(60)
    for row in rows[40:]:
        row.update(verdict="fail", is_pass=False, nonconforming_items="厚度", is_failure_list=True)
    database = write_table(tmp_path / "warehouse.duckdb", rows)
    outcome = validate_staged_deliveries(database, TABLE, SUITE, [sha("file2")])
    assert outcome.success, failed(outcome)
    mean = next(o for o in outcome.outcomes if o.scope == "aggregate")
    assert not mean.evaluated


def test_no_new_rows_passes_and_says_so(tmp_path: Path) -> None:
    database = write_table(tmp_path / "warehouse.duckdb", good_rows())

    for files in ([], [sha("a file with no rows in the table")]):
        outcome = validate_staged_deliveries(database, TABLE, SUITE, files)
        assert outcome.success, failed(outcome)
        assert outcome.rows_validated == 0 and outcome.table_row_count == 40
        assert outcome.incremental and outcome.source_files == ()
        mean = next(o for o in outcome.outcomes if o.scope == "aggregate")
        assert not mean.evaluated and mean.success
        assert mean.observed_value == "not evaluated: no rows"
        assert "(no rows)" in outcome_markdown(outcome)


def test_an_open_connection_is_used_and_left_open(tmp_path: Path) -> None:
    database = write_table(tmp_path / "warehouse.duckdb", good_rows())
    connection = duckdb.connect(str(database), read_only=True)
    try:
        outcome = validate_staged_deliveries(connection, TABLE, SUITE, [OLD_FILE])
        assert outcome.success and outcome.source_files == ("spot_checks_0.csv",)
        assert connection.sql(f"SELECT count(*) FROM {TABLE}").fetchall() == [(40,)]
    finally:
        connection.close()


def test_suites_are_parsed_once_per_content(tmp_path: Path) -> None:
    copy = tmp_path / "copy.json"
    copy.write_bytes(SUITE.read_bytes())
    assert load_suite_file(copy) is load_suite_file(SUITE)  # same bytes, same parse

    document = json.loads(SUITE.read_text(encoding="utf-8"))
    compiled = len(load_suite_file(SUITE).entries) - len(document["expectations"])
    document["expectations"] = document["expectations"][:3]
    copy.write_text(json.dumps(document), encoding="utf-8")
    changed = load_suite_file(copy)
    assert changed is not load_suite_file(SUITE) and len(changed.entries) == compiled + 3


# --------------------------------------------------------------------------- empty tables


@pytest.fixture(scope="module")
def empty_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every gated staged view, as dbt defines it, over the loaders' empty raw tables."""
    database = tmp_path_factory.mktemp("empty") / "warehouse.duckdb"
    macros = (DBT_DIR / "macros" / "submissions.sql").read_text(encoding="utf-8")
    connection = duckdb.connect(str(database))
    try:
        for feed in feed_names():
            ensure_tables(connection, load_contract(feed))
        ensure_submission_tables(connection)
        connection.execute("CREATE SCHEMA staging")
        for suite in ALL_SUITES:
            model = (DBT_DIR / "models" / "staging" / f"{suite.stem}.sql").read_text("utf-8")
            sql = jinja2.Environment().from_string(macros + model)
            view = sql.render(source=lambda schema, name: f"{schema}.{name}")
            connection.execute(f"CREATE VIEW staging.{suite.stem} AS {view}")
    finally:
        connection.close()
    return database


def test_every_suite_is_checked_on_an_empty_table() -> None:
    assert len(ALL_SUITES) == 13


@pytest.mark.parametrize("suite", ALL_SUITES, ids=lambda path: path.stem)
def test_every_suite_passes_on_an_empty_table_and_on_no_new_rows(
    empty_warehouse: Path, suite: Path
) -> None:
    table = f"staging.{suite.stem}"
    for files in (None, [OLD_FILE]):
        outcome = validate_staged_deliveries(empty_warehouse, table, suite, files)

        assert outcome.success, (files, failed(outcome))
        assert outcome.rows_validated == 0 and outcome.table_row_count == 0
        assert outcome.evaluated == len(load_suite_file(suite).entries)
        assert all(item.evaluated for item in outcome.outcomes if item.scope != "aggregate")
        assert all(item.note for item in outcome.outcomes)
