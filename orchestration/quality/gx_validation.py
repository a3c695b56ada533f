"""Run Great Expectations (GX Core 1.x) suites stored as JSON under expectations/, each with
the expectations compiled from the feed contract it names put in front of its own.

The one module that touches GX. Route chosen (see docs/data-quality.md):

- `validate_staged_deliveries` (what a run calls): the rows of the new deliveries only
  (`WHERE source_sha256 IN (…)`, selected in DuckDB, handed to GX as one pandas frame), or the
  whole table on a first build / full rebuild (`source_sha256=None`). Expectations about the
  whole table that stay cheap in SQL (key uniqueness, row count) run as plain DuckDB SQL over the
  whole table, whatever the mode. Every other expectation runs in GX on the selected rows.
- `validate_duckdb_table` is that entry point in whole-table mode; `validate_dataframe`
  validates a frame with every expectation in GX (tests, ad-hoc checks).
- Zero rows is not a failure: row-level rules hold vacuously, aggregate rules (a mean, a
  proportion…) are reported "not evaluated" instead of failing on NaN.

- No Dagster imports: the asset check wraps these functions.
- `great_expectations` is imported lazily, on the first validation (≈ 2.3 s), so loading the
  Dagster code location does not pay for it.
- One ephemeral GX context per process; suites are parsed once and cached by the sha256 of
  their file; validations are serialised by a module lock (GX keeps process-global state).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from orchestration.contracts.suite import compose_suite

if TYPE_CHECKING:
    import duckdb
    import great_expectations as gx
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )

# Offline: no usage statistics. Also switched off in the context config below.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

CHINA_STANDARD_TIME = dt.timezone(dt.timedelta(hours=8), "CST")
"""The data's calendar (UTC+8 all year, no daylight saving)."""

SAMPLE_LIMIT = 10
"""How many unexpected values (stringified) an outcome keeps."""

DELIVERY_COLUMN = "source_sha256"
"""The staged column naming the delivered file a row came from (its sha256)."""

TABLE_SQL_EXPECTATIONS = frozenset(
    {
        "expect_compound_columns_to_be_unique",
        "expect_column_values_to_be_unique",
        "expect_table_row_count_to_be_between",
        "expect_table_row_count_to_equal",
    }
)
"""Expectations about the whole table that stay cheap as one DuckDB query (a GROUP BY or a
count): run in SQL over the whole table by `validate_staged_deliveries`, in either mode."""

Scope = Literal["rows", "aggregate", "schema", "table"]
"""Where an expectation is evaluated by `validate_staged_deliveries`:

- rows: row by row, in GX, on the validated rows (the new deliveries' rows, or all);
- aggregate: one statistic (mean, proportion…) in GX on the validated rows; not evaluated
  (and not failed) when there are none;
- schema: the table's columns, in GX on the validated frame (which has the table's columns);
- table: plain DuckDB SQL over the whole table (`TABLE_SQL_EXPECTATIONS`)."""

_DATASOURCE = "lq_pandas"
_ASSET = "dataframe"
_BATCH_DEFINITION = "whole_dataframe"

_lock = threading.RLock()
_batch_definition: BatchDefinition | None = None
_suites_by_path: dict[Path, LoadedSuite] = {}
_suites_by_sha: dict[str, LoadedSuite] = {}


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation_type: str
    column: str | None  # with the row condition, e.g. `verdict where is_pass == False`
    success: bool
    unexpected_count: int | None
    unexpected_percent: float | None
    sample_unexpected: list[str]  # up to SAMPLE_LIMIT values, or the rows where values say little
    observed_value: str | None
    note: str | None  # the suite's `meta.notes`: 中文 / English, for auditors and the UI
    meta: Mapping[str, Any] = field(default_factory=dict)  # the expectation's whole `meta`
    scope: Scope = "rows"
    evaluated: bool = True  # False: an aggregate on zero rows (then success is True)
    unexpected_rows: list[str] = field(default_factory=list)  # `source_file=…, source_row=…`

    @property
    def notes(self) -> str | None:
        """The suite's note (the name `meta.notes` has in the suite JSON)."""
        return self.note


@dataclass(frozen=True)
class SuiteOutcome:
    suite_name: str
    success: bool
    evaluated: int  # expectations in the outcome (every one of the suite)
    failed: int
    rows_validated: int  # rows the row-level and aggregate rules saw (0 passes)
    seconds: float  # read + validation
    outcomes: list[ExpectationOutcome]
    suite_sha256: str = ""
    table: str | None = None
    table_row_count: int | None = None  # the whole table's rows (None: a dataframe)
    incremental: bool = False  # True: only the rows of the deliveries in `source_sha256`
    source_sha256: tuple[str, ...] = ()  # the deliveries asked for (incremental runs)
    source_files: tuple[str, ...] = ()  # the delivered files among the validated rows

    @property
    def row_count(self) -> int:
        """Rows validated (the name the asset check's metadata uses)."""
        return self.rows_validated

    @property
    def failed_outcomes(self) -> list[ExpectationOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.success]


@dataclass(frozen=True, eq=False)
class LoadedSuite:
    """A suite file parsed once: its GX suite (every expectation), the raw entries, and where
    `validate_staged_deliveries` evaluates each one."""

    name: str
    sha256: str
    path: Path
    entries: tuple[dict[str, Any], ...]
    scopes: tuple[Scope, ...]
    index_columns: tuple[str, ...]
    suite: gx.ExpectationSuite
    _subsets: dict[tuple[int, ...], gx.ExpectationSuite] = field(default_factory=dict)

    def subset(self, indices: Sequence[int]) -> gx.ExpectationSuite:
        """A GX suite of just these expectations (ids keep their position in the file)."""
        key = tuple(indices)
        if key == tuple(range(len(self.entries))):
            return self.suite
        with _lock:
            if key not in self._subsets:
                self._subsets[key] = _gx_suite(self.name, self.entries, key, self.path, None)
            return self._subsets[key]


# --------------------------------------------------------------------------- context and suites


def _get_batch_definition() -> BatchDefinition:
    """The ephemeral context's whole-dataframe batch definition, built once per process."""
    global _batch_definition
    with _lock:
        if _batch_definition is None:
            import great_expectations as gx
            from great_expectations.data_context.types.base import (
                DataContextConfig,
                InMemoryStoreBackendDefaults,
                ProgressBarsConfig,
            )

            config = DataContextConfig(
                store_backend_defaults=InMemoryStoreBackendDefaults(),
                analytics_enabled=False,
                progress_bars=ProgressBarsConfig(globally=False),
            )
            context = gx.get_context(project_config=config, mode="ephemeral")
            asset = context.data_sources.add_pandas(name=_DATASOURCE).add_dataframe_asset(
                name=_ASSET
            )
            _batch_definition = asset.add_batch_definition_whole_dataframe(_BATCH_DEFINITION)
        return _batch_definition


def warm_up(suite_paths: Sequence[Path] = ()) -> None:
    """Import GX, build the context and parse these suites now (e.g. once at the start of a
    run's validation step) instead of on first use."""
    _get_batch_definition()
    for path in suite_paths:
        load_suite_file(path)


def load_suite(path: Path) -> gx.ExpectationSuite:
    """The GX suite stored at `path` (see `load_suite_file`)."""
    return load_suite_file(path).suite


def load_suite_file(path: Path) -> LoadedSuite:
    """Parse a suite file, with the expectations compiled from the feed contract it names
    (`orchestration/contracts/suite.py`), cached by the sha256 of the whole suite (a changed
    file, contract or seed is parsed again; the same suite at another path is not).

    Raises ValueError naming the entry if any expectation is unknown to GX or badly configured
    (GX's own constructor only logs such entries and drops them), or if a whole-table rule has
    a condition that cannot be written in SQL.
    """
    path = Path(path).resolve()
    document = compose_suite(json.loads(path.read_bytes().decode("utf-8")))
    data = json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")
    sha256 = hashlib.sha256(data).hexdigest()
    with _lock:
        cached = _suites_by_path.get(path)
        if cached is not None and cached.sha256 == sha256:
            return cached
        loaded = _suites_by_sha.get(sha256)
        if loaded is None:
            loaded = _parse_suite(document, path, sha256)
            _suites_by_sha[sha256] = loaded
        _suites_by_path[path] = loaded
        return loaded


def _parse_suite(document: dict[str, Any], source: Path, sha256: str) -> LoadedSuite:
    entries = tuple(document.get("expectations", []))
    suite = _gx_suite(
        document["name"], entries, tuple(range(len(entries))), source, document.get("meta")
    )
    scopes = tuple(_scope(entry["type"]) for entry in entries)
    for index, (entry, scope) in enumerate(zip(entries, scopes, strict=True)):
        if scope == "table" and entry.get("kwargs", {}).get("row_condition"):
            try:
                _condition_sql(entry["kwargs"]["row_condition"])
            except ValueError as error:
                raise ValueError(
                    f"{source}: expectation #{index} ({entry['type']!r}): {error}"
                ) from error
    return LoadedSuite(
        name=document["name"],
        sha256=sha256,
        path=source,
        entries=entries,
        scopes=scopes,
        index_columns=tuple((document.get("meta") or {}).get("unexpected_index_column_names", [])),
        suite=suite,
    )


def _gx_suite(
    name: str,
    entries: Sequence[dict[str, Any]],
    indices: Sequence[int],
    source: Path,
    meta: dict[str, Any] | None,
) -> gx.ExpectationSuite:
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    expectations = []
    for index in indices:
        entry = entries[index]
        try:
            configuration = ExpectationConfiguration(
                type=entry["type"], kwargs=entry.get("kwargs", {}), meta=entry.get("meta")
            )
            expectations.append(configuration.to_domain_obj())
        except Exception as error:  # GX raises several unrelated types here
            raise ValueError(
                f"{source}: expectation #{index} ({entry.get('type')!r}) is not valid: {error}"
            ) from error
    suite = gx.ExpectationSuite(name=name, expectations=expectations, meta=meta)
    # GX returns results out of suite order (errored ones first); ids let us restore the order.
    # Set after construction: the suite refuses expectations that already carry an id.
    for index, expectation in zip(indices, suite.expectations, strict=True):
        expectation.id = f"{name}#{index:03d}"
    return suite


def _scope(expectation_type: str) -> Scope:
    from great_expectations.expectations.expectation import ColumnAggregateExpectation
    from great_expectations.expectations.registry import get_expectation_impl

    if expectation_type in TABLE_SQL_EXPECTATIONS:
        return "table"
    if issubclass(get_expectation_impl(expectation_type), ColumnAggregateExpectation):
        return "aggregate"
    if expectation_type.startswith("expect_table_") or expectation_type == (
        "expect_column_to_exist"
    ):
        return "schema"
    return "rows"


def suite_parameters(today: dt.date | None = None) -> dict[str, Any]:
    """Values for the `$PARAMETER` placeholders the suites use.

    `today` is an ISO *datetime* (midnight): GX parses a bare ISO date into `datetime.date`,
    which pandas 3 refuses to compare with a datetime64 column; a datetime compares fine.
    The date is Beijing's, as the data's: the 06:00 refresh runs at 22:00 UTC the day before.
    """
    today = today or dt.datetime.now(CHINA_STANDARD_TIME).date()
    return {"today": f"{today.isoformat()}T00:00:00", "current_year": today.year}


# --------------------------------------------------------------------------- entry points


def validate_staged_deliveries(
    database: Path | str | duckdb.DuckDBPyConnection,
    table: str,
    suite_path: Path,
    source_sha256: Sequence[str] | None = None,
) -> SuiteOutcome:
    """Validate a staged table against its suite: the rows of the delivered files whose sha256
    are given, or the whole table when `source_sha256` is None (first build, full rebuild).

    - Expectations in `TABLE_SQL_EXPECTATIONS` (key uniqueness, row count) run as DuckDB SQL
      over the *whole* table in both modes: a key repeated across an old and a new row fails.
    - Every other expectation runs in GX on the selected rows only (filtered in DuckDB, read
      as Arrow → pandas); a bad row in an older delivery does not fail a new one's validation.
    - Zero selected rows (an empty table, no rows for these files) passes: `rows_validated`
      is 0 and aggregate rules are marked not evaluated.

    `database` is a DuckDB file (opened READ-ONLY and closed BEFORE GX runs: DuckDB allows one
    writer) or an open connection (used, left open). `table` is `name` or `schema.name`.
    `seconds` covers the SQL, the read and the validation.
    """
    started = time.perf_counter()
    if isinstance(source_sha256, str):
        raise TypeError("source_sha256 is a list of sha256, not one string")
    loaded = load_suite_file(suite_path)
    shas = None if source_sha256 is None else tuple(dict.fromkeys(source_sha256))
    with _connection(database) as connection:
        table_sql = _quote_table(table)
        columns = connection.sql(f"SELECT * FROM {table_sql} LIMIT 0").columns
        table_row_count = _scalar(connection, f"SELECT count(*) FROM {table_sql}")
        table_outcomes = {
            index: _table_outcome(
                connection, table_sql, columns, table_row_count, loaded, index, shas
            )
            for index, scope in enumerate(loaded.scopes)
            if scope == "table"
        }
        frame = _read_rows(connection, table_sql, shas)
    frame_indices = [index for index, scope in enumerate(loaded.scopes) if scope != "table"]
    frame_outcomes = _validate_frame(frame, loaded, frame_indices)
    files: tuple[str, ...] = ()
    if "source_file" in frame.columns:
        files = tuple(sorted(str(name) for name in frame["source_file"].dropna().unique()))
    return _assemble(
        loaded,
        {**table_outcomes, **frame_outcomes},
        rows_validated=len(frame),
        seconds=time.perf_counter() - started,
        table=table,
        table_row_count=table_row_count,
        incremental=shas is not None,
        source_sha256=shas or (),
        source_files=files,
    )


def validate_duckdb_table(
    database: Path | str | duckdb.DuckDBPyConnection, table: str, suite_path: Path
) -> SuiteOutcome:
    """The whole table (`validate_staged_deliveries` with `source_sha256=None`)."""
    return validate_staged_deliveries(database, table, suite_path, None)


def validate_dataframe(df: pd.DataFrame, suite_path: Path) -> SuiteOutcome:
    """Validate a dataframe against the suite stored at `suite_path`: every expectation in GX
    on this frame (uniqueness and row count included)."""
    started = time.perf_counter()
    loaded = load_suite_file(suite_path)
    outcomes = _validate_frame(df, loaded, range(len(loaded.entries)))
    return _assemble(
        loaded, outcomes, rows_validated=len(df), seconds=time.perf_counter() - started
    )


def read_duckdb_table(
    database: Path | str | duckdb.DuckDBPyConnection,
    table: str,
    source_sha256: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The table (or the rows of these deliveries) as pandas; a file is open only while DuckDB
    produces the Arrow table."""
    with _connection(database) as connection:
        shas = None if source_sha256 is None else tuple(dict.fromkeys(source_sha256))
        return _read_rows(connection, _quote_table(table), shas)


@contextlib.contextmanager
def _connection(
    database: Path | str | duckdb.DuckDBPyConnection,
) -> Iterator[duckdb.DuckDBPyConnection]:
    import duckdb

    if isinstance(database, duckdb.DuckDBPyConnection):
        yield database
        return
    if not Path(database).is_file():
        raise FileNotFoundError(database)
    connection = duckdb.connect(str(database), read_only=True)
    try:
        yield connection
    finally:
        connection.close()


def _read_rows(
    connection: duckdb.DuckDBPyConnection, table_sql: str, shas: tuple[str, ...] | None
) -> pd.DataFrame:
    """Select in DuckDB, hand over Arrow, convert once (dates as datetime64: GX compares them
    vectorised; strings keep pandas' default dtype)."""
    if shas is None:
        relation = connection.sql(f"SELECT * FROM {table_sql}")
    else:
        relation = connection.sql(
            f"SELECT * FROM {table_sql} WHERE {DELIVERY_COLUMN} IN "
            "(SELECT unnest($shas::VARCHAR[]))",
            params={"shas": list(shas)},
        )
    return relation.to_arrow_table().to_pandas(date_as_object=False)


def _scalar(connection: duckdb.DuckDBPyConnection, query: str) -> int:
    rows = connection.sql(query).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _quote_table(table: str) -> str:
    parts = table.split(".")
    if not 1 <= len(parts) <= 3 or not all(parts):
        raise ValueError(f"not a table name: {table!r}")
    return ".".join(_quote(part) for part in parts)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------- whole-table SQL


def _table_outcome(
    connection: duckdb.DuckDBPyConnection,
    table_sql: str,
    columns: Sequence[str],
    row_count: int,
    loaded: LoadedSuite,
    index: int,
    shas: tuple[str, ...] | None,
) -> ExpectationOutcome:
    """One `TABLE_SQL_EXPECTATIONS` entry, evaluated by DuckDB over the whole table."""
    import duckdb

    entry = loaded.entries[index]
    kind = entry["type"]
    kwargs = _resolve(entry.get("kwargs", {}), suite_parameters())
    meta = entry.get("meta") or {}
    common: dict[str, Any] = {
        "expectation_type": kind,
        "column": _column_label(kwargs),
        "note": meta.get("notes"),
        "meta": meta,
        "scope": "table",
    }
    try:
        if kind == "expect_table_row_count_to_equal":
            success = row_count == int(kwargs["value"])
        elif kind == "expect_table_row_count_to_be_between":
            success = _within(row_count, kwargs)
        else:
            return _unique_outcome(
                connection, table_sql, columns, loaded, kind, kwargs, common, shas
            )
        return ExpectationOutcome(
            success=success,
            unexpected_count=None,
            unexpected_percent=None,
            sample_unexpected=[],
            observed_value=str(row_count),
            **common,
        )
    except (duckdb.Error, KeyError, ValueError) as error:
        return ExpectationOutcome(
            success=False,
            unexpected_count=None,
            unexpected_percent=None,
            sample_unexpected=[],
            observed_value=f"error: {error}",
            **common,
        )


def _unique_outcome(
    connection: duckdb.DuckDBPyConnection,
    table_sql: str,
    columns: Sequence[str],
    loaded: LoadedSuite,
    kind: str,
    kwargs: dict[str, Any],
    common: dict[str, Any],
    shas: tuple[str, ...] | None,
) -> ExpectationOutcome:
    """Key uniqueness as GX counts it: every row of a repeated key is unexpected; rows whose
    key is missing are skipped as `ignore_row_if` says (a single column's nulls always are).

    The key is compared across every row of the table. With `shas` (an incremental run) a
    repeated key counts when at least one of its rows is new: a new row repeating an old key
    fails, a repetition among old rows only was reported when its file was new (as row-level
    rules are not re-run on old rows)."""
    keys = list(kwargs["column_list"]) if "column_list" in kwargs else [kwargs["column"]]
    missing = [key for key in keys if key not in columns]
    if missing:
        raise ValueError(f"column(s) not in the table: {', '.join(missing)}")
    key_sql = ", ".join(_quote(key) for key in keys)
    ignore = kwargs.get("ignore_row_if", "all_values_are_missing")
    if kind == "expect_column_values_to_be_unique":
        ignore = "any_value_is_missing"
    filters = []
    if ignore == "any_value_is_missing":
        filters.append(" AND ".join(f"{_quote(key)} IS NOT NULL" for key in keys))
    elif ignore == "all_values_are_missing":
        filters.append("(" + " OR ".join(f"{_quote(key)} IS NOT NULL" for key in keys) + ")")
    if kwargs.get("row_condition"):
        filters.append(_condition_sql(kwargs["row_condition"]))
    params: dict[str, Any] | None = None
    is_new = "TRUE"
    if shas is not None:
        params = {"shas": list(shas)}
        is_new = f"{_quote(DELIVERY_COLUMN)} IN (SELECT unnest($shas::VARCHAR[]))"
        if DELIVERY_COLUMN in keys:
            # A key that includes the file's sha256 can only repeat a new row's key within the
            # new files: the same answer as the whole table, from the new rows alone.
            filters.append(is_new)
    where = " AND ".join(filters) or "TRUE"
    ((element_count, unexpected),) = connection.sql(
        f"""
        WITH base AS (SELECT {key_sql}, {is_new} AS __new FROM {table_sql} WHERE {where})
        SELECT
            (SELECT count(*) FROM base),
            (SELECT coalesce(sum(n), 0) FROM (
                SELECT count(*) AS n FROM base GROUP BY {key_sql}
                HAVING count(*) > 1 AND bool_or(__new)))
        """,
        params=params,
    ).fetchall()
    unexpected = int(unexpected)
    samples: list[str] = []
    rows: list[str] = []
    if unexpected:
        shown = list(dict.fromkeys([*keys, *(c for c in loaded.index_columns if c in columns)]))
        shown_sql = ", ".join(_quote(name) for name in shown)
        extra = [name for name in shown if name not in keys]
        duplicates = connection.sql(
            f"""
            SELECT {shown_sql} FROM (
                SELECT {shown_sql}, count(*) OVER keys AS __n, bool_or({is_new}) OVER keys AS __new
                FROM {table_sql} WHERE {where}
                WINDOW keys AS (PARTITION BY {key_sql}))
            WHERE __n > 1 AND __new ORDER BY {shown_sql} LIMIT {SAMPLE_LIMIT * 10}
            """,
            params=params,
        ).fetchall()
        for record in duplicates:
            values = dict(zip(shown, record, strict=True))
            key_text = ", ".join(f"{key}={_text(values[key])}" for key in keys)
            if key_text not in samples and len(samples) < SAMPLE_LIMIT:
                samples.append(key_text)
            row_text = _row_text({name: values[name] for name in extra})
            if row_text and row_text not in rows and len(rows) < SAMPLE_LIMIT:
                rows.append(row_text)
    mostly = kwargs.get("mostly")
    if element_count == 0:
        success = True
    elif mostly is None:
        success = unexpected == 0
    else:
        success = 1 - unexpected / element_count >= float(mostly)
    return ExpectationOutcome(
        success=success,
        unexpected_count=unexpected,
        unexpected_percent=round(100 * unexpected / element_count, 4) if element_count else None,
        sample_unexpected=samples,
        observed_value=None,
        unexpected_rows=rows,
        **common,
    )


def _within(value: float, kwargs: dict[str, Any]) -> bool:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is not None and (value <= low if kwargs.get("strict_min") else value < low):
        return False
    return not (high is not None and (value >= high if kwargs.get("strict_max") else value > high))


def _resolve(kwargs: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """Fill `{"$PARAMETER": name}` placeholders at the top level of kwargs."""
    return {
        key: parameters[value["$PARAMETER"]]
        if isinstance(value, dict) and set(value) == {"$PARAMETER"}
        else value
        for key, value in kwargs.items()
    }


_SQL_OPERATORS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _no_rows_meet(frame: pd.DataFrame, condition: Any) -> bool:
    """True when a simple `column == value` row condition leaves no row of `frame` (e.g. a
    run that loaded only 不合格产品 lists for a pass-rate mean over the other rows): the
    aggregate is then not evaluated, as on zero rows. Other conditions: False (run in GX)."""
    if not isinstance(condition, dict) or condition.get("type") != "comparison":
        return False
    column = (condition.get("column") or {}).get("name")
    if condition.get("operator") != "==" or column not in frame.columns:
        return False
    return not bool((frame[column] == condition.get("parameter")).any())


def _condition_sql(condition: Any) -> str:
    """A serialised GX 1.x row condition as a DuckDB predicate (raises ValueError otherwise)."""
    if not isinstance(condition, dict):
        raise ValueError(f"row_condition {condition!r} cannot be run in SQL: use the dict form")
    kind = condition.get("type")
    if kind in ("and", "or"):
        parts = [_condition_sql(part) for part in condition.get("conditions") or []]
        if not parts:
            raise ValueError(f"empty {kind!r} condition")
        return "(" + f" {kind.upper()} ".join(parts) + ")"
    column = _quote(str((condition.get("column") or {}).get("name") or ""))
    if kind == "nullity":
        return f"{column} IS {'' if condition.get('is_null') else 'NOT '}NULL"
    if kind == "comparison":
        operator, parameter = condition.get("operator"), condition.get("parameter")
        if operator in ("IN", "NOT_IN") and isinstance(parameter, list):
            negation = "NOT " if operator == "NOT_IN" else ""
            values = ", ".join(_literal(value) for value in parameter)
            return f"{column} {negation}IN ({values})"
        if operator in _SQL_OPERATORS:
            return f"{column} {_SQL_OPERATORS[operator]} {_literal(parameter)}"
    raise ValueError(f"row_condition {condition!r} cannot be run in SQL")


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise ValueError(f"condition parameter {value!r} cannot be written in SQL")


# --------------------------------------------------------------------------- GX on a frame


def _prepare(df: pd.DataFrame) -> pd.DataFrame:
    """Give GX dtypes it handles vectorised.

    - datetime64[ns]: GX's fast `between` path takes only nanosecond datetimes; other units (and
      date objects) go through a per-value Python loop. A date beyond 2262 does not fit in
      nanoseconds: that column stays as it is (slow path, still checked, and then flagged).
    - int64: other integer widths also fall back to the per-value loop.
    """
    changes: dict[str, pd.Series] = {}
    for name, column in df.items():
        dtype = column.dtype
        if pd.api.types.is_datetime64_any_dtype(dtype) and not isinstance(
            dtype, pd.DatetimeTZDtype
        ):
            if dtype != "datetime64[ns]":
                changes[str(name)] = _as_nanoseconds(column)
        elif pd.api.types.is_object_dtype(dtype):
            first = column.first_valid_index()
            if first is not None and isinstance(column[first], dt.date):
                # Mixed or unparseable values: leave the column to GX as it is.
                with contextlib.suppress(ValueError, TypeError):
                    changes[str(name)] = _as_nanoseconds(pd.to_datetime(column))
        elif isinstance(dtype, np.dtype) and dtype.kind in "iu" and dtype != np.int64:
            changes[str(name)] = column.astype(np.int64)
    return df.assign(**changes) if changes else df


def _as_nanoseconds(column: pd.Series) -> pd.Series:
    try:
        return column.astype("datetime64[ns]")
    except pd.errors.OutOfBoundsDatetime:
        return column


def _validate_frame(
    df: pd.DataFrame, loaded: LoadedSuite, indices: Sequence[int]
) -> dict[int, ExpectationOutcome]:
    """The outcomes of these expectations (positions in the suite file) on `df`.

    Pass 1 runs them with BASIC results (counts + up to 10 unexpected values). Pass 2 runs only
    when row-level expectations failed and the suite names index columns: it re-runs just those
    with SUMMARY results to learn the offending rows' `source_file` / `source_row`. SUMMARY for
    the whole suite would cost ≈ 2 × BASIC at 1 M rows.

    With zero rows, aggregate expectations (a mean is NaN) are not run: they pass as "not
    evaluated". Row-level ones pass vacuously in GX."""
    frame = _prepare(df)
    outcomes: dict[int, ExpectationOutcome] = {}
    run = []
    for index in indices:
        aggregate = loaded.scopes[index] == "aggregate"
        condition = loaded.entries[index].get("kwargs", {}).get("row_condition")
        if aggregate and (frame.empty or _no_rows_meet(frame, condition)):
            outcomes[index] = _not_evaluated(loaded, index)
        else:
            run.append(index)
    if not run:
        return outcomes
    suite = loaded.subset(run)
    index_columns = [name for name in loaded.index_columns if name in frame.columns]
    basic = {"result_format": "BASIC", "partial_unexpected_count": SAMPLE_LIMIT}
    rows_by_id: dict[str, list[Any]] = {}
    with _lock:
        result = _run(suite, frame, basic)
        needs_rows = [
            item.expectation_config
            for item in result.results
            if not item.success
            and item.expectation_config is not None
            and (item.result or {}).get("unexpected_count")
        ]
        if index_columns and needs_rows:
            import great_expectations as gx

            subset = gx.ExpectationSuite(name=suite.name, expectations=needs_rows)
            summary = {
                "result_format": "SUMMARY",
                "partial_unexpected_count": SAMPLE_LIMIT,
                "unexpected_index_column_names": index_columns,
            }
            for item in _run(subset, frame, summary).results:
                config = item.expectation_config
                if config is not None and config.id:
                    rows_by_id[config.id] = (item.result or {}).get(
                        "partial_unexpected_index_list"
                    ) or []
    for item in result.results:
        index = _position(item)
        if index in run:
            identifier = item.expectation_config.id if item.expectation_config else None
            outcomes[index] = _outcome(item, rows_by_id.get(identifier or "", []), loaded, index)
    return outcomes


def _run(
    suite: gx.ExpectationSuite, frame: pd.DataFrame, result_format: dict[str, Any]
) -> ExpectationSuiteValidationResult:
    """Validate `frame` once. GX's pandas engine fingerprints (hashes) the whole dataframe every
    time it loads a batch (≈ 0.8 s per 1 M rows here). The public `Batch.validate` loads it twice
    (`get_batch`, then again inside). The validator that `ValidationDefinition.run` builds
    loads it once, and needs neither a saved definition nor a results store that keeps every
    result in memory; it is not exported at the top level, hence the fallback."""
    batch_definition = _get_batch_definition()
    parameters = suite_parameters()
    try:
        from great_expectations.validator.v1_validator import Validator
    except ImportError:  # a GX release that moved it: the public route, one extra hash
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        return batch.validate(suite, result_format=result_format, expectation_parameters=parameters)
    validator = Validator(
        batch_definition=batch_definition,
        batch_parameters={"dataframe": frame},
        result_format=result_format,
    )
    return validator.validate_expectation_suite(suite, parameters)


def _position(item: ExpectationValidationResult) -> int:
    """The expectation's position in its suite file, from the id `_gx_suite` gave it."""
    identifier = item.expectation_config.id if item.expectation_config else None
    _, _, index = (identifier or "").rpartition("#")
    return int(index) if index.isdigit() else -1


def _needs_rows(item: ExpectationValidationResult) -> bool:
    """Whether a failed result is better shown by the offending rows' index columns than by its
    unexpected values: nulls, booleans, or values that only mean something with the condition."""
    values = (item.result or {}).get("partial_unexpected_list")
    conditional = bool(
        item.expectation_config and item.expectation_config.kwargs.get("row_condition")
    )
    return _uninformative(values) or (conditional and bool(values))


def _uninformative(values: Any) -> bool:
    """Unexpected values that do not show which rows are wrong: nulls (not-null checks) and
    booleans (the is_pass / verdict consistency checks)."""
    return (
        isinstance(values, list)
        and bool(values)
        and all(_is_null(value) or isinstance(value, (bool, np.bool_)) for value in values)
    )


# --------------------------------------------------------------------------- outcomes


def _assemble(
    loaded: LoadedSuite,
    by_index: dict[int, ExpectationOutcome],
    rows_validated: int,
    seconds: float,
    **details: Any,
) -> SuiteOutcome:
    """Every expectation of the suite, in file order (one GX did not report fails)."""
    outcomes = [
        by_index.get(index) or _not_evaluated(loaded, index, "error: GX returned no result")
        for index in range(len(loaded.entries))
    ]
    failed = sum(not outcome.success for outcome in outcomes)
    return SuiteOutcome(
        suite_name=loaded.name,
        success=failed == 0,
        evaluated=len(outcomes),
        failed=failed,
        rows_validated=rows_validated,
        seconds=round(seconds, 3),
        outcomes=outcomes,
        suite_sha256=loaded.sha256,
        **details,
    )


def _not_evaluated(loaded: LoadedSuite, index: int, error: str | None = None) -> ExpectationOutcome:
    """An aggregate rule on zero rows (passes), or an expectation GX did not report (fails)."""
    entry = loaded.entries[index]
    meta = entry.get("meta") or {}
    return ExpectationOutcome(
        expectation_type=entry["type"],
        column=_column_label(entry.get("kwargs", {})),
        success=error is None,
        unexpected_count=None,
        unexpected_percent=None,
        sample_unexpected=[],
        observed_value=error or "not evaluated: no rows",
        note=meta.get("notes"),
        meta=meta,
        scope=loaded.scopes[index],
        evaluated=False,
    )


def _column_label(kwargs: Mapping[str, Any]) -> str | None:
    """`column`, `a, b` for pairs and lists, with ` where <condition>` for conditional rules:
    keeps (type, column) unique per suite, the label the asset check's metadata uses."""
    column = kwargs.get("column")
    if column is None and "column_A" in kwargs:
        column = f"{kwargs['column_A']}, {kwargs['column_B']}"
    if column is None and "column_list" in kwargs:
        column = ", ".join(kwargs["column_list"])
    condition = _condition_text(kwargs.get("row_condition"))
    if column is not None and condition:
        column = f"{column} where {condition}"
    return column


def _outcome(
    item: ExpectationValidationResult, rows: list[Any], loaded: LoadedSuite, index: int
) -> ExpectationOutcome:
    config = item.expectation_config
    kwargs = config.kwargs if config is not None else {}
    details: dict[str, Any] = dict(item.result or {})
    observed = details.get("observed_value")
    mismatched = (details.get("details") or {}).get("mismatched")
    if isinstance(mismatched, dict) and mismatched:  # table_columns_to_match_set / ordered list
        observed = "; ".join(f"{key}: {value}" for key, value in mismatched.items())
    errors = _exception_messages(item.exception_info)
    if errors:
        observed = "error: " + "; ".join(errors)
    meta = loaded.entries[index].get("meta") or {}
    percent = details.get("unexpected_percent")
    rows = [row for row in rows if isinstance(row, dict)]
    # GX adds the checked column's value to the index columns: the sample keeps it, the row
    # list names just the row.
    identified = _distinct([text for text in map(_row_text, rows) if text])
    row_texts = _distinct(
        [
            text
            for text in (
                _row_text({k: v for k, v in row.items() if k in loaded.index_columns})
                for row in rows
            )
            if text
        ]
    )
    values = details.get("partial_unexpected_list") or []
    return ExpectationOutcome(
        expectation_type=config.type if config is not None else "unknown",
        column=_column_label(kwargs),
        success=bool(item.success),
        unexpected_count=_int_or_none(details.get("unexpected_count")),
        unexpected_percent=None if percent is None else round(float(percent), 4),
        sample_unexpected=identified if identified and _needs_rows(item) else _distinct(values),
        observed_value=None if observed is None else _text(observed),
        note=meta.get("notes"),
        meta=meta,
        scope=loaded.scopes[index],
        unexpected_rows=row_texts,
    )


def _condition_text(condition: Any) -> str | None:
    """`is_pass == False` for a comparison condition, in whatever form GX hands it back."""
    if not condition:
        return None
    if isinstance(condition, dict) and condition.get("type") == "comparison":
        name = (condition.get("column") or {}).get("name")
        return f"{name} {condition.get('operator')} {condition.get('parameter')!r}"
    return str(condition)


def _exception_messages(info: Any) -> list[str]:
    """GX reports errors either as one {raised_exception, exception_message} dict or as such
    dicts keyed by metric id."""
    if not isinstance(info, dict):
        return []
    entries = [info] if "raised_exception" in info else list(info.values())
    messages = []
    for entry in entries:
        if isinstance(entry, dict) and entry.get("raised_exception"):
            message = str(entry.get("exception_message") or "exception").removeprefix("Error: ")
            if message not in messages:
                messages.append(message)
    return messages


def _row_text(row: Mapping[str, Any]) -> str:
    """`source_file=spot_checks_0.csv, source_row=3` (index columns, nulls left out)."""
    return ", ".join(f"{key}={_text(value)}" for key, value in row.items() if not _is_null(value))


def _distinct(values: list[Any]) -> list[str]:
    samples: list[str] = []
    for value in values:
        text = _text(value)
        if text not in samples:
            samples.append(text)
        if len(samples) == SAMPLE_LIMIT:
            break
    return samples


def _is_null(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # lists, arrays
        return False


def _text(value: Any) -> str:
    if _is_null(value):
        return "NULL"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


# --------------------------------------------------------------------------- Markdown


def outcome_markdown(outcome: SuiteOutcome, sample_limit: int = 5) -> str:
    """A compact Markdown table for the Dagster asset check's metadata (auditors read it)."""
    status = "✅ passed" if outcome.success else "❌ failed"
    if outcome.incremental:
        files = len(outcome.source_files) or len(outcome.source_sha256)
        scope = f"{outcome.rows_validated:,} new rows of {files} delivered file(s)"
    else:
        scope = f"{outcome.rows_validated:,} rows"
    if outcome.table_row_count is not None:
        scope += f"; keys and row count over all {outcome.table_row_count:,} rows of the table"
    lines = [
        f"**{outcome.suite_name}**: {status}; {outcome.evaluated - outcome.failed}/"
        f"{outcome.evaluated} expectations met on {scope} ({outcome.seconds:.2f} s)",
        "",
        "| expectation | column | ok | unexpected | sample / observed |",
        "| --- | --- | :-: | --: | --- |",
    ]
    for item in outcome.outcomes:
        unexpected = "" if item.unexpected_count is None else f"{item.unexpected_count:,}"
        if item.unexpected_percent and item.unexpected_count:
            unexpected += f" ({item.unexpected_percent:.3g}%)"
        shown_values = item.sample_unexpected or ([] if item.success else item.unexpected_rows)
        if shown_values:
            shown = ", ".join(_clip(value, 60) for value in shown_values[:sample_limit])
            if len(shown_values) > sample_limit:
                shown += ", …"
        else:
            shown = _clip(item.observed_value or "", 60)
        cells = [
            item.expectation_type.removeprefix("expect_"),
            item.column or "",
            ("✅" if item.success else "❌") + ("" if item.evaluated else " (no rows)"),
            unexpected,
            shown,
        ]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def _clip(value: str, width: int = 40) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")
