"""The one reader of the bureau's published file: the CLI (`lq kpis`, `lq counties`,
`lq publications`, `lq diff`), the Excel export, the Dagster assets and the publisher itself
read the published assessment only through this module, always with a read-only connection.

The only code that knows how versions are stored: versions are numbered per assessment year
(`publications.assessment_year, version`); every published table has `assessment_year` and
`publication_version` columns and a `<table>_latest` view (the latest version of every year);
`publication_diffs` holds each version's row-level diff against the previous one.

    with open_published(path) as published:        # NotPublished when there is no file
        published.versions(2016)                   # [VersionRecord, ...]
        published.version(2016)                    # the latest one; or .version(2016, 2)
        published.rows("city_targets", year=2016)  # rows of the latest version, as dicts
        published.assessment(2016, tables=...)     # several tables of one version
        published.diff(2016, 2)                    # VersionDiff

or one call each: `published_years`, `list_versions`, `read_version`, `read_rows`,
`read_assessment`, `read_diff`."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from orchestration.publication.tables import BY_NAME, TABLE_NAMES

Row = dict[str, Any]


class NotPublished(LookupError):
    """What was asked for is not in the published file (no file, no such year, version or
    table)."""


@dataclass(frozen=True)
class VersionRecord:
    """One row of `publications` (docs/bureau-guide.md). A file written by an earlier layout
    may lack the provenance columns: they are then None / empty."""

    assessment_year: int
    version: int
    published_at: datetime  # UTC
    content_sha256: str
    previous_version: int | None = None
    row_counts: Mapping[str, int] = field(default_factory=dict)
    table_sha256: Mapping[str, str] = field(default_factory=dict)
    table_columns: Mapping[str, list[str]] = field(default_factory=dict)
    input_files: int | None = None
    input_files_sha256: str | None = None
    seeds_sha256: str | None = None
    rubric_sha256: str | None = None
    dbt_project_sha256: str | None = None


_JSON_FIELDS = ("row_counts", "table_sha256", "table_columns")
_FIELDS = tuple(VersionRecord.__dataclass_fields__)


@dataclass(frozen=True)
class AssessmentTables:
    year: int
    version: int
    published_at: datetime  # UTC, as recorded in `publications`
    tables: Mapping[str, list[Row]]  # published table → its rows of the year


@dataclass(frozen=True)
class DiffCounts:
    rows_added: int = 0
    rows_removed: int = 0
    rows_changed: int = 0
    values_changed: int = 0

    @property
    def differences(self) -> int:
        """What `publication_diffs` holds for the table: a row each added or removed row, one
        per changed value."""
        return self.rows_added + self.rows_removed + self.values_changed


@dataclass(frozen=True)
class DiffRow:
    table_name: str
    row_key: str  # JSON of the table's key columns
    change: str  # added / removed / changed
    column_name: str | None
    old_value: str | None
    new_value: str | None


@dataclass(frozen=True)
class VersionDiff:
    """What `version` of `year` changed against `previous_version` (None: nothing to compare
    against, e.g. version 1)."""

    year: int
    version: int
    previous_version: int | None
    counts: Mapping[str, DiffCounts]  # tables with at least one difference
    rows: list[DiffRow]  # the first ones, by table, change, row key and column
    total: int  # every difference of the version

    def of(self, table: str) -> DiffCounts:
        return self.counts.get(table, DiffCounts())


def _version_record(names: Sequence[str], row: Sequence[Any]) -> VersionRecord:
    values = {n: v for n, v in zip(names, row, strict=True) if n in _FIELDS}
    for name in _JSON_FIELDS:
        if isinstance(values.get(name), str):
            values[name] = json.loads(values[name])
        elif values.get(name) is None:
            values.pop(name, None)
    return VersionRecord(**values)


class PublishedReader:
    """Typed reads of one open, read-only connection to the published file."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, path: Path | None = None) -> None:
        self.conn = conn
        self.path = path

    def _where(self) -> str:
        return str(self.path) if self.path else "the published file"

    def tables(self) -> set[str]:
        """Tables and views of the file."""
        return {row[0] for row in self.conn.execute("show tables").fetchall()}

    def years(self) -> list[int]:
        """The assessment years published so far."""
        rows = self.conn.execute(
            "select distinct assessment_year from publications order by 1"
        ).fetchall()
        return [row[0] for row in rows]

    def versions(self, year: int | None = None) -> list[VersionRecord]:
        """Every version (of `year`), by year and version."""
        where, params = ("where assessment_year = ?", [year]) if year is not None else ("", [])
        cursor = self.conn.execute(
            f"select * from publications {where} order by assessment_year, version", params
        )
        names = [d[0] for d in cursor.description]
        return [_version_record(names, row) for row in cursor.fetchall()]

    def latest_versions(self) -> dict[int, VersionRecord]:
        """The latest version of every published year."""
        return {record.assessment_year: record for record in self.versions()}

    def version(self, year: int, version: int | None = None) -> VersionRecord:
        """`version` of `year` (default: its latest); NotPublished when there is none."""
        records = self.versions(year)
        if version is None and records:
            return records[-1]
        found = [r for r in records if r.version == version]
        if found:
            return found[0]
        raise NotPublished(
            f"assessment year {year} is not published"
            if version is None
            else f"no publication version {version} of {year}"
        )

    def rows(
        self,
        table: str,
        year: int | None = None,
        version: int | None = None,
        where: Mapping[str, object] | None = None,
    ) -> list[Row]:
        """A published table's rows: of the latest version of every year (or of `year`), or of
        `version` of `year`; `where` keeps the rows whose columns equal the values given. In
        year and key order."""
        if table not in BY_NAME:
            raise ValueError(f"{table} is not a published table ({', '.join(TABLE_NAMES)})")
        if version is not None and year is None:
            raise ValueError("a version is a version of one year: give the year too")
        filters = dict(where or {})
        if year is not None:
            filters["assessment_year"] = year
        if version is not None:
            filters["publication_version"] = version
        source = table if version is not None else f"{table}_latest"
        if source not in self.tables():
            raise NotPublished(f"{self._where()} has no {source}: publish again")
        conditions = " and ".join(f"{_q(c)} = ?" for c in filters) or "true"
        order = ", ".join(_q(c) for c in ("assessment_year", *BY_NAME[table].key))
        cursor = self.conn.execute(
            f"select * from {source} where {conditions} order by {order}", list(filters.values())
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def assessment(
        self, year: int, version: int | None = None, tables: Sequence[str] = TABLE_NAMES
    ) -> AssessmentTables:
        """`tables` of `year` as published in `version` (default: the latest)."""
        record = self.version(year, version)
        present = self.tables()
        missing = [t for t in tables if t not in present or f"{t}_latest" not in present]
        if missing:
            raise NotPublished(f"{self._where()} has no {', '.join(missing)}: publish again")
        rows = {t: self.rows(t, year, record.version) for t in tables}
        if not any(rows.values()):
            raise NotPublished(f"version {record.version} has no assessment year {year}")
        return AssessmentTables(year, record.version, record.published_at, rows)

    def diff(self, year: int, version: int | None = None, first_rows: int = 20) -> VersionDiff:
        """What `version` of `year` (default: its latest) changed against the version before:
        counts per table and the first `first_rows` differences."""
        record = self.version(year, version)
        key = [year, record.version]
        previous = record.previous_version
        if previous is None:  # a file without the column: the diff's own record
            previous = self.conn.execute(
                "select max(previous_version) from publication_diffs "
                "where assessment_year = ? and version = ?",
                key,
            ).fetchall()[0][0]
        counted = self.conn.execute(
            """
            select table_name,
                   count(distinct row_key) filter (where change = 'added'),
                   count(distinct row_key) filter (where change = 'removed'),
                   count(distinct row_key) filter (where change = 'changed'),
                   count(*) filter (where change = 'changed')
            from publication_diffs where assessment_year = ? and version = ?
            group by table_name order by table_name""",
            key,
        ).fetchall()
        counts = {row[0]: DiffCounts(*row[1:]) for row in counted}
        rows = self.conn.execute(
            """
            select table_name, row_key, change, column_name, old_value, new_value
            from publication_diffs where assessment_year = ? and version = ?
            order by table_name, change, row_key, column_name limit ?""",
            [*key, first_rows],
        ).fetchall()
        total = sum(c.differences for c in counts.values())
        return VersionDiff(
            year, record.version, previous, counts, [DiffRow(*row) for row in rows], total
        )


def _q(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


@contextmanager
def open_published(published: Path) -> Iterator[PublishedReader]:
    """The published file, read-only; NotPublished when it does not exist yet."""
    if not published.exists():
        raise NotPublished(f"{published} does not exist yet: run the pipeline first")
    with duckdb.connect(str(published), read_only=True) as conn:
        yield PublishedReader(conn, published)


def published_years(published: Path) -> list[int]:
    """The assessment years published so far."""
    with open_published(published) as reader:
        return reader.years()


def list_versions(published: Path, year: int | None = None) -> list[VersionRecord]:
    """Every published version (of `year`)."""
    with open_published(published) as reader:
        return reader.versions(year)


def read_version(published: Path, year: int, version: int | None = None) -> VersionRecord:
    """`version` of `year` (default: the latest)."""
    with open_published(published) as reader:
        return reader.version(year, version)


def read_rows(
    published: Path,
    table: str,
    year: int | None = None,
    version: int | None = None,
    where: Mapping[str, object] | None = None,
) -> list[Row]:
    """PublishedReader.rows on the file."""
    with open_published(published) as reader:
        return reader.rows(table, year, version, where)


def read_assessment(
    published: Path, year: int, version: int | None = None, tables: Sequence[str] = TABLE_NAMES
) -> AssessmentTables:
    """`tables` of `year` as published in `version` (default: the latest)."""
    with open_published(published) as reader:
        return reader.assessment(year, version, tables)


def read_diff(
    published: Path, year: int, version: int | None = None, first_rows: int = 20
) -> VersionDiff:
    """What `version` of `year` (default: the latest) changed against the one before."""
    with open_published(published) as reader:
        return reader.diff(year, version, first_rows)
