"""Great Expectations gates on the staged tables, run inside the warehouse step.

dagster-ge targets GX < 1.0, so the integration is ours. Each suite file in expectations/ is
named after the staging model it gates and becomes one Dagster asset check on that model.
A gate validates the rows of the deliveries that arrived since the model was last built (the
whole table on a first build); whole-table rules that stay cheap run in SQL
(orchestration/quality/gx_validation.py). A failing gate keeps the models that depend on its
feed alone from being built, and holds the publication back; everything else is built."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    MetadataValue,
)

from orchestration.defs.transform.manifest import GRAPH, model_key, model_unique_id
from orchestration.quality.gx_validation import (
    SuiteOutcome,
    outcome_markdown,
    validate_staged_deliveries,
)
from orchestration.settings import EXPECTATIONS_DIR

LOADED_THROUGH = "loaded_through"  # staging metadata: the newest raw row the model was built on


@dataclass(frozen=True)
class Gate:
    model: str  # the staging model, e.g. stg_raw__spot_checks
    suite_path: Path

    @property
    def name(self) -> str:
        return f"gx_{self.model}"

    @property
    def unique_id(self) -> str:
        return model_unique_id(self.model)

    @property
    def table(self) -> str:
        schema, name = GRAPH.nodes[self.unique_id].relation
        return f"{schema}.{name}"

    @property
    def raw_tables(self) -> tuple[str, ...]:
        return GRAPH.nodes[self.unique_id].sources

    @property
    def check_key(self) -> AssetCheckKey:
        return AssetCheckKey(model_key(self.model), self.name)

    def spec(self) -> AssetCheckSpec:
        return AssetCheckSpec(
            name=self.name,
            asset=model_key(self.model),
            blocking=True,
            description=f"Great Expectations 质量闸门: suite expectations/{self.suite_path.name} "
            f"on the new deliveries staged in {self.table}; a failure holds back the models "
            "built from this feed alone and the publication.",
        )


def discover_gates(expectations_dir: Path = EXPECTATIONS_DIR) -> list[Gate]:
    """Suite files in expectations/, each named after the staging model it gates, so a new
    feed's gate is a new JSON file, not code."""
    return [Gate(path.stem, path) for path in sorted(expectations_dir.glob("stg_*.json"))]


GATES = discover_gates()


def loaded_through(conn: duckdb.DuckDBPyConnection, gate: Gate) -> datetime | None:
    """The load time of the newest raw row under the gate (None when its raw table has no
    `_loaded_at`, as the submission tables: those are validated whole)."""
    columns = _columns(conn, gate.raw_tables)
    if "_loaded_at" not in columns:
        return None
    inner = " union all ".join(f"select max(_loaded_at) as m from {t}" for t in gate.raw_tables)
    (value,) = conn.execute(f"select max(m) from ({inner})").fetchone()  # type: ignore[misc]
    return value


def _columns(conn: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> set[str]:
    names: set[str] | None = None
    for table in tables:
        schema, name = table.split(".")
        found = {
            c
            for (c,) in conn.execute(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchall()
        }
        names = found if names is None else names & found
    return names or set()


def new_deliveries(
    conn: duckdb.DuckDBPyConnection, gate: Gate, built: Mapping[str, Any] | None
) -> list[str] | None:
    """The delivered files (sha256) loaded since the gated model was last built (`built`: its
    entry in the build state), or None for the whole table (first build, or a raw table
    without load times)."""
    previous = (built or {}).get(LOADED_THROUGH)
    if not previous or "_loaded_at" not in _columns(conn, gate.raw_tables):
        return None
    rows = conn.execute(
        " union ".join(
            f"select distinct _source_sha256 from {t} where _loaded_at > cast(? as timestamp)"
            for t in gate.raw_tables
        ),
        [previous] * len(gate.raw_tables),
    ).fetchall()
    return sorted(sha for (sha,) in rows)


def run_gate(database: Path, gate: Gate, files: list[str] | None) -> SuiteOutcome:
    return validate_staged_deliveries(database, gate.table, gate.suite_path, files)


def check_result(gate: Gate, outcome: SuiteOutcome, files: list[str] | None) -> AssetCheckResult:
    metadata: dict[str, object] = {
        "suite": outcome.suite_name,
        "scope": "whole table" if files is None else f"{len(files)} new delivered file(s)",
        "rows_validated": outcome.row_count,
        "expectations_evaluated": outcome.evaluated,
        "expectations_failed": outcome.failed,
        "validation_seconds": round(outcome.seconds, 3),
        "report": MetadataValue.md(outcome_markdown(outcome)),
    }
    for result in outcome.outcomes:
        label = result.expectation_type + (f"[{result.column}]" if result.column else "")
        text = "passed" if result.success else "FAILED"
        if result.unexpected_count:
            text += f", {result.unexpected_count} unexpected"
        if result.sample_unexpected:
            text += f", e.g. {', '.join(result.sample_unexpected[:5])}"
        if result.observed_value is not None and not result.success:
            text += f", observed {result.observed_value}"
        metadata[label] = text
    return AssetCheckResult(
        asset_key=model_key(gate.model),
        check_name=gate.name,
        passed=outcome.success,
        severity=AssetCheckSeverity.ERROR,
        metadata=metadata,
    )
