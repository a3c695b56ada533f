"""Run Great Expectations (GX Core 1.x) suites stored as JSON under expectations/.

The one module that touches GX. Route chosen (see docs/data-quality.md): read the whole staged
table from DuckDB READ-ONLY through Arrow into pandas, release the file, then validate the
dataframe with GX's pandas datasource in an ephemeral, offline context.

- No Dagster imports: the asset check wraps these functions.
- `great_expectations` is imported lazily, on the first validation (≈ 3 s), so loading the
  Dagster code location does not pay for it.
- The GX context, its pandas datasource and every loaded suite are cached in-process;
  validations are serialised by a module lock (GX keeps process-global state).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
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

_DATASOURCE = "lq_pandas"
_ASSET = "dataframe"
_BATCH_DEFINITION = "whole_dataframe"

_lock = threading.RLock()
_batch_definition: BatchDefinition | None = None
_suites: dict[Path, tuple[tuple[int, int], gx.ExpectationSuite]] = {}


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation_type: str
    column: str | None
    success: bool
    unexpected_count: int | None
    unexpected_percent: float | None
    sample_unexpected: list[str]  # up to SAMPLE_LIMIT values, stringified
    observed_value: str | None
    notes: str | None


@dataclass(frozen=True)
class SuiteOutcome:
    suite_name: str
    success: bool
    evaluated: int
    failed: int
    row_count: int
    seconds: float
    outcomes: list[ExpectationOutcome]

    @property
    def failed_outcomes(self) -> list[ExpectationOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.success]


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


def warm_up() -> None:
    """Import GX and build the context now (e.g. at the start of a run) instead of on first use."""
    _get_batch_definition()


def load_suite(path: Path) -> gx.ExpectationSuite:
    """Load a suite from its JSON file, cached per file (reloaded when the file changes).

    Raises ValueError naming the entry if any expectation is unknown to GX or badly configured
    (GX's own constructor only logs such entries and drops them).
    """
    path = Path(path).resolve()
    stat = path.stat()
    key = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _suites.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        suite = _build_suite(json.loads(path.read_text(encoding="utf-8")), source=path)
        _suites[path] = (key, suite)
        return suite


def _build_suite(document: dict[str, Any], source: Path) -> gx.ExpectationSuite:
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    expectations = []
    for index, entry in enumerate(document.get("expectations", [])):
        try:
            configuration = ExpectationConfiguration(
                type=entry["type"], kwargs=entry.get("kwargs", {}), meta=entry.get("meta")
            )
            expectations.append(configuration.to_domain_obj())
        except Exception as error:  # GX raises several unrelated types here
            raise ValueError(
                f"{source}: expectation #{index} ({entry.get('type')!r}) is not valid: {error}"
            ) from error
    suite = gx.ExpectationSuite(
        name=document["name"], expectations=expectations, meta=document.get("meta")
    )
    # GX returns results out of suite order (errored ones first); ids let us restore the order.
    # Set after construction: the suite refuses expectations that already carry an id.
    for index, expectation in enumerate(suite.expectations):
        expectation.id = f"{suite.name}#{index:03d}"
    return suite


def suite_parameters(today: dt.date | None = None) -> dict[str, Any]:
    """Values for the `$PARAMETER` placeholders the suites use.

    `today` is an ISO *datetime* (midnight): GX parses a bare ISO date into `datetime.date`,
    which pandas 3 refuses to compare with a datetime64 column; a datetime compares fine.
    The date is Beijing's, as the data's: the 06:00 refresh runs at 22:00 UTC the day before.
    """
    today = today or dt.datetime.now(CHINA_STANDARD_TIME).date()
    return {"today": f"{today.isoformat()}T00:00:00", "current_year": today.year}


# --------------------------------------------------------------------------- validation


def validate_dataframe(df: pd.DataFrame, suite_path: Path) -> SuiteOutcome:
    """Validate a dataframe against the suite stored at `suite_path`."""
    started = time.perf_counter()
    return _validate(df, suite_path, started)


def validate_duckdb_table(database: Path, table: str, suite_path: Path) -> SuiteOutcome:
    """Open the DuckDB file READ-ONLY, read the table (Arrow → pandas), close the connection
    BEFORE validating (DuckDB allows one writer; never hold the file longer than needed), validate.

    `table` is `name` or `schema.name`. `seconds` in the outcome covers read and validation.
    """
    started = time.perf_counter()
    df = read_duckdb_table(database, table)
    return _validate(df, suite_path, started)


def read_duckdb_table(database: Path, table: str) -> pd.DataFrame:
    """The whole table as pandas; the file is open only while DuckDB produces the Arrow table."""
    import duckdb

    if not Path(database).is_file():
        raise FileNotFoundError(database)
    connection = duckdb.connect(str(database), read_only=True)
    try:
        arrow_table = connection.sql(f"SELECT * FROM {_quote_table(table)}").to_arrow_table()
    finally:
        connection.close()
    # Dates as datetime64 (GX compares them vectorised); strings keep pandas' default dtype.
    return arrow_table.to_pandas(date_as_object=False)


def _quote_table(table: str) -> str:
    parts = table.split(".")
    if not 1 <= len(parts) <= 3 or not all(parts):
        raise ValueError(f"not a table name: {table!r}")
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)


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


def _validate(df: pd.DataFrame, suite_path: Path, started: float) -> SuiteOutcome:
    """Pass 1 runs the whole suite with BASIC results (counts + up to 10 unexpected values).
    Pass 2 runs only when a failed expectation's unexpected values do not identify the rows
    (nulls, booleans, conditional checks): it re-runs just those with SUMMARY results to learn
    the offending rows' index columns (sample_no). SUMMARY for the whole suite would cost
    ≈ 2 × BASIC at 1 M rows."""
    suite = load_suite(suite_path)
    frame = _prepare(df)
    index_columns = [
        name
        for name in (suite.meta or {}).get("unexpected_index_column_names", [])
        if name in frame.columns
    ]
    basic = {"result_format": "BASIC", "partial_unexpected_count": SAMPLE_LIMIT}
    with _lock:
        result = _run(suite, frame, basic)
        rows_by_id: dict[str, list[Any]] = {}
        needs_rows = [
            item.expectation_config
            for item in result.results
            if not item.success and item.expectation_config is not None and _needs_rows(item)
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
    return _summarise(suite.name, result, rows_by_id, len(frame), time.perf_counter() - started)


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


def _summarise(
    suite_name: str,
    result: ExpectationSuiteValidationResult,
    rows_by_id: dict[str, list[Any]],
    row_count: int,
    seconds: float,
) -> SuiteOutcome:
    def position(item: ExpectationValidationResult) -> int:
        identifier = item.expectation_config.id if item.expectation_config else None
        _, _, index = (identifier or "").rpartition("#")
        return int(index) if index.isdigit() else 1_000_000

    outcomes = [
        _outcome(item, rows_by_id.get(item.expectation_config.id or "", []))
        if item.expectation_config is not None
        else _outcome(item, [])
        for item in sorted(result.results, key=position)
    ]
    return SuiteOutcome(
        suite_name=suite_name,
        success=bool(result.success),
        evaluated=len(outcomes),
        failed=sum(not outcome.success for outcome in outcomes),
        row_count=row_count,
        seconds=round(seconds, 3),
        outcomes=outcomes,
    )


def _outcome(item: ExpectationValidationResult, rows: list[Any]) -> ExpectationOutcome:
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
    column = kwargs.get("column")
    if column is None and "column_A" in kwargs:
        column = f"{kwargs['column_A']}, {kwargs['column_B']}"
    if column is None and "column_list" in kwargs:
        column = ", ".join(kwargs["column_list"])
    condition = _condition_text(kwargs.get("row_condition"))
    if column is not None and condition:
        # Keeps (type, column) unique per suite: the label the asset check's metadata uses.
        column = f"{column} where {condition}"
    meta = (config.meta if config is not None else None) or {}
    percent = details.get("unexpected_percent")
    return ExpectationOutcome(
        expectation_type=config.type if config is not None else "unknown",
        column=column,
        success=bool(item.success),
        unexpected_count=_int_or_none(details.get("unexpected_count")),
        unexpected_percent=None if percent is None else round(float(percent), 4),
        sample_unexpected=_samples(details.get("partial_unexpected_list") or [], rows),
        observed_value=None if observed is None else _text(observed),
        notes=meta.get("notes"),
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


def _samples(values: list[Any], rows: list[Any]) -> list[str]:
    """Distinct unexpected values, or the offending rows' index columns (e.g. `sample_no=SC0001`)
    where pass 2 looked them up."""
    if rows:
        identified = [
            ", ".join(f"{key}={_text(value)}" for key, value in row.items() if not _is_null(value))
            for row in rows
            if isinstance(row, dict)
        ]
        identified = [text for text in identified if text]
        if identified:
            values = identified
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
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


# --------------------------------------------------------------------------- Markdown


def outcome_markdown(outcome: SuiteOutcome, sample_limit: int = 5) -> str:
    """A compact Markdown table for the Dagster asset check's metadata (auditors read it)."""
    status = "✅ passed" if outcome.success else "❌ failed"
    lines = [
        f"**{outcome.suite_name}**: {status}; {outcome.evaluated - outcome.failed}/"
        f"{outcome.evaluated} expectations met on {outcome.row_count:,} rows "
        f"({outcome.seconds:.2f} s)",
        "",
        "| expectation | column | ok | unexpected | sample / observed |",
        "| --- | --- | :-: | --: | --- |",
    ]
    for item in outcome.outcomes:
        unexpected = "" if item.unexpected_count is None else f"{item.unexpected_count:,}"
        if item.unexpected_percent and item.unexpected_count:
            unexpected += f" ({item.unexpected_percent:.3g}%)"
        if item.sample_unexpected:
            shown = ", ".join(_clip(value) for value in item.sample_unexpected[:sample_limit])
            if len(item.sample_unexpected) > sample_limit:
                shown += ", …"
        else:
            shown = _clip(item.observed_value or "", 60)
        cells = [
            item.expectation_type.removeprefix("expect_"),
            item.column or "",
            "✅" if item.success else "❌",
            unexpected,
            shown,
        ]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def _clip(value: str, width: int = 40) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")
