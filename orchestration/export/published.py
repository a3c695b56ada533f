"""Read one assessment year of one publication from the bureau's published file (read-only).

The only module that knows how versions are stored: versions are numbered per assessment year
(`publications.assessment_year, version`); every published table has `assessment_year` and
`publication_version` columns and a `<table>_latest` view (the latest version of every year)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

# Published tables a workbook is made of.
TABLES = ("city_targets", "county_scorecard", "unit_scorecard", "assessment_items")


class ExportError(Exception):
    """What was asked for is not in the published file (no file, no such version or year)."""


@dataclass(frozen=True)
class AssessmentTables:
    year: int
    version: int
    published_at: datetime  # UTC, as recorded in `publications`
    tables: Mapping[str, list[dict[str, Any]]]  # published table → its rows of the year


def _connect(published: Path) -> duckdb.DuckDBPyConnection:
    if not published.exists():
        raise ExportError(f"{published} does not exist yet: run the pipeline first")
    return duckdb.connect(str(published), read_only=True)


def _version_of(
    conn: duckdb.DuckDBPyConnection, year: int, version: int | None
) -> tuple[int, datetime]:
    row = conn.execute(
        "select version, published_at from publications where assessment_year = ? "
        "and version = coalesce(?, (select max(version) from publications "
        "where assessment_year = ?))",
        [year, version, year],
    ).fetchone()
    if row is None:
        missing = (
            f"assessment year {year} is not published"
            if version is None
            else f"no publication version {version} of {year}"
        )
        raise ExportError(missing)
    return row[0], row[1]


def _rows(
    conn: duckdb.DuckDBPyConnection, table: str, year: int, version: int | None
) -> duckdb.DuckDBPyConnection:
    """The rows of one table for one year: the latest version's view, or a given version."""
    if version is None:
        return conn.execute(f"select * from {table}_latest where assessment_year = ?", [year])
    return conn.execute(
        f"select * from {table} where publication_version = ? and assessment_year = ?",
        [version, year],
    )


def read_assessment(published: Path, year: int, version: int | None = None) -> AssessmentTables:
    """Every table of `TABLES` for `year` as published in `version` (default: the latest)."""
    with _connect(published) as conn:
        number, published_at = _version_of(conn, year, version)
        present = {row[0] for row in conn.execute("show tables").fetchall()}
        missing = [table for table in TABLES if table not in present]
        if missing:
            raise ExportError(f"{published} has no {', '.join(missing)}: publish again")
        tables: dict[str, list[dict[str, Any]]] = {}
        for table in TABLES:
            cursor = _rows(conn, table, year, version)
            names = [column[0] for column in cursor.description]
            tables[table] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    if not tables["city_targets"]:
        raise ExportError(f"version {number} has no assessment year {year}")
    return AssessmentTables(year, number, published_at, tables)


def published_years(published: Path) -> list[int]:
    """The assessment years published so far."""
    with _connect(published) as conn:
        rows = conn.execute(
            "select distinct assessment_year from publications order by 1"
        ).fetchall()
    return [row[0] for row in rows]
