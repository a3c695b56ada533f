"""Publish the assessment into the bureau's read-only DuckDB file, as immutable versions per
assessment year (docs/bureau-guide.md). The one writer of the published file.

A year gets version N+1 when its rows differ from its version N; otherwise nothing new is
published. The published file is never opened for writing in place: each publication, under a
file lock, builds a new file beside it (copying every earlier version), checks that every
earlier version still hashes as recorded, writes the new versions' Parquet folders from it
(parquet.py: `parquet/assessment_year=Y/version=N/<table>.parquet`, each folder renamed into
place complete) and only then atomically renames the new file over the old one. Readers holding
the old file keep reading it undisturbed; the pipeline never waits for a reader.

Killed at any point (`kill -9`), a publication leaves the published file as it was or as it
becomes, never a version without its Parquet; what it wrote beside is removed by the next
publication at its start (leftovers.py), which then converges on what an uninterrupted run
makes. The kill points (crash_points.py) are exercised by tests/test_publication_kill.py."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.crash_points import crash_point
from orchestration.publication import parquet
from orchestration.publication.diff import DIFF_DDL, insert_diff
from orchestration.publication.inputs import PublicationInputs, publication_inputs
from orchestration.publication.leftovers import partial_file, remove_duckdb_file, remove_leftovers
from orchestration.publication.reader import open_published
from orchestration.publication.tables import PUBLISHED_TABLES, TABLE_NAMES

PUBLICATIONS_DDL = """
create table publications (
    assessment_year integer not null,
    version integer not null,
    published_at timestamp not null,        -- UTC
    content_sha256 varchar not null,        -- over the tables' hashes, in TABLE_NAMES order
    row_counts json not null,               -- {"city_targets": 40, ...}
    table_sha256 json not null,             -- {"city_targets": "…", ...}
    table_columns json not null,            -- the columns each table hash covers, in order
    input_files integer not null,           -- delivered files the warehouse was built from
    input_files_sha256 varchar not null,    -- over publication_inputs of this version
    seeds_sha256 varchar not null,
    rubric_sha256 varchar not null,
    dbt_project_sha256 varchar not null,
    previous_version integer,               -- the version the diff compares against
    primary key (assessment_year, version)
)"""

INPUTS_DDL = """
create table publication_inputs (
    assessment_year integer not null,
    version integer not null,
    source varchar not null,                -- the feed, or 'submissions'
    source_file varchar not null,
    sha256 varchar not null
)"""


@dataclass(frozen=True)
class YearPublication:
    assessment_year: int
    version: int
    created: bool  # False when the content equals the year's latest version
    content_sha256: str
    rows: dict[str, int]


@dataclass(frozen=True)
class _YearContent:
    content_sha256: str
    hashes: dict[str, str]
    rows: dict[str, int]
    columns: dict[str, list[str]]


def _q(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def rows_sha256(
    conn: duckdb.DuckDBPyConnection, columns: Sequence[str], query: str
) -> tuple[str, int]:
    """sha256 and row count of a query's rows over `columns`, computed in DuckDB: every row as
    text (names and values), in a canonical order, so the same content always hashes the same."""
    selected = ", ".join(_q(c) for c in columns)
    digest, rows = conn.execute(
        "select sha256(coalesce(string_agg(line, chr(10) order by line), '')), count(*) "
        f"from (select cast(t as varchar) as line from (select {selected} from ({query})) as t)"
    ).fetchall()[0]
    return digest, rows


# Doubles are compared to this many significant digits when deciding whether a year changed:
# a sum of doubles depends on the order of its rows, which an incremental table does not keep,
# and a difference in the 15th digit is no new assessment.
SIGNIFICANT_DIGITS = 12


def _rounded_sha256(conn: duckdb.DuckDBPyConnection, query: str, columns: Sequence[str]) -> str:
    """sha256 of a query's rows like rows_sha256, with doubles to SIGNIFICANT_DIGITS."""
    types = {r[0]: r[1] for r in conn.execute(f"describe {query}").fetchall()}
    selected = ", ".join(
        f"printf('%.{SIGNIFICANT_DIGITS}g', {_q(c)}) as {_q(c)}"
        if types.get(c) in ("DOUBLE", "FLOAT")
        else _q(c)
        for c in columns
    )
    return rows_sha256(conn, columns, f"select {selected} from ({query})")[0]


def _same_but_for_rounding(
    warehouse: Path, published: Path, year: int, version: int, content: _YearContent
) -> bool:
    """True when the marts' rows of `year` equal its published `version` but for doubles
    beyond SIGNIFICANT_DIGITS (checked only when the exact hashes differ)."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        conn.execute(f"attach '{published}' as published (read_only)")
        for table in PUBLISHED_TABLES:
            columns = content.columns[table.name]
            stored = _version_query(f"published.{table.name}", year, version)
            stored_columns = {r[0] for r in conn.execute(f"describe {stored}").fetchall()}
            if not set(columns) <= stored_columns:
                return False  # the mart gained a column: a change
            if _rounded_sha256(conn, table.rows_of(year), columns) != _rounded_sha256(
                conn, stored, columns
            ):
                return False
    return True


def _content_sha256(hashes: dict[str, str]) -> str:
    text = "".join(f"{name}:{hashes[name]}\n" for name in TABLE_NAMES)
    return hashlib.sha256(text.encode()).hexdigest()


def _year_content(conn: duckdb.DuckDBPyConnection, year: int) -> _YearContent:
    hashes, rows, columns = {}, {}, {}
    for table in PUBLISHED_TABLES:
        query = table.rows_of(year)
        columns[table.name] = [r[0] for r in conn.execute(f"describe {query}").fetchall()]
        hashes[table.name], rows[table.name] = rows_sha256(conn, columns[table.name], query)
    return _YearContent(_content_sha256(hashes), hashes, rows, columns)


def _version_query(table: str, year: int, version: int) -> str:
    return (
        f"select * from {table} where assessment_year = {year} and publication_version = {version}"
    )


def verify_versions(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Every recorded version's tables, hashed again: the problems (none when intact)."""
    problems = []
    for year, version, hashes, counts, columns in conn.execute(
        "select assessment_year, version, table_sha256, row_counts, table_columns "
        "from publications order by 1, 2"
    ).fetchall():
        hashes, counts, columns = json.loads(hashes), json.loads(counts), json.loads(columns)
        for name, recorded in hashes.items():
            digest, rows = rows_sha256(conn, columns[name], _version_query(name, year, version))
            if (digest, rows) != (recorded, counts[name]):
                problems.append(f"{year} version {version} {name}: {rows} rows, hash {digest}")
    return problems


@contextmanager
def _writer_lock(published: Path) -> Iterator[None]:
    """One publisher at a time, also outside Dagster's pool (a CLI or benchmark run): two
    builds beside the file would otherwise both rename, and the first one's version be lost.
    Readers never take it."""
    lock = published.with_name(f".{published.name}.lock")
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _set_aside_global_versions(published: Path) -> None:
    """A file from before per-year versions (one global version sequence) is kept, unchanged,
    beside the new one; the per-year history starts fresh."""
    if not published.exists():
        return
    with duckdb.connect(str(published), read_only=True) as conn:
        columns = {r[0] for r in conn.execute("describe publications").fetchall()}
    if "assessment_year" not in columns:
        os.replace(published, published.with_name(f"{published.stem}.global-versions.duckdb"))


def _latest_versions(published: Path) -> dict[int, tuple[int, str]]:
    if not published.exists():
        return {}
    with open_published(published) as reader:
        latest = reader.latest_versions()
    return {year: (r.version, r.content_sha256) for year, r in latest.items()}


def assessment_years(warehouse: Path) -> list[int]:
    """The years the warehouse has an assessment for (dim_assessment_years)."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return [
            r[0]
            for r in conn.execute(
                "select assessment_year from marts.dim_assessment_years order by 1"
            ).fetchall()
        ]


def _add_new_columns(conn: duckdb.DuckDBPyConnection, query: str, target: str) -> None:
    """Columns the mart has and the published history lacks (the mart evolved). Earlier
    versions read NULL there; their hashes cover only the columns they were published with."""
    have = {row[0] for row in conn.execute(f"describe {target}").fetchall()}
    for column, column_type, *_ in conn.execute(f"describe {query}").fetchall():
        if column not in have:
            conn.execute(f"alter table {target} add column {_q(column)} {column_type}")


def _copy_history(conn: duckdb.DuckDBPyConnection, published: Path) -> None:
    if not published.exists():
        conn.execute(PUBLICATIONS_DDL)
        conn.execute(INPUTS_DDL)
        conn.execute(DIFF_DDL)
        return
    conn.execute(f"attach '{published}' as previous (read_only)")
    earlier = {
        r[0]
        for r in conn.execute(
            "select table_name from duckdb_tables() where database_name = 'previous'"
        ).fetchall()
    }
    # A table added to the publication later starts without earlier versions.
    for name in sorted(earlier):
        conn.execute(f"create table {name} as select * from previous.{name}")
    conn.execute("detach previous")


def _insert_version(
    conn: duckdb.DuckDBPyConnection,
    year: int,
    version: int,
    previous: int | None,
    content: _YearContent,
    inputs: PublicationInputs,
    published_at: datetime,
) -> None:
    for table in PUBLISHED_TABLES:
        query = table.rows_of(year, "working.")
        conn.execute(
            f"create table if not exists {table.name} as "
            f"select 0 as publication_version, * from ({query}) limit 0"
        )
        _add_new_columns(conn, query, table.name)
        # By name: a column the mart gained is NULL in earlier versions, never shifted.
        conn.execute(
            f"insert into {table.name} by name select {version} as publication_version, * "
            f"from ({query})"
        )
        stored = rows_sha256(
            conn, content.columns[table.name], _version_query(table.name, year, version)
        )
        if stored != (content.hashes[table.name], content.rows[table.name]):
            raise RuntimeError(f"{table.name} {year}: the stored rows differ from the mart's")
    conn.execute(
        "insert into publications values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            year,
            version,
            published_at,
            content.content_sha256,
            json.dumps(content.rows),
            json.dumps(content.hashes),
            json.dumps(content.columns, ensure_ascii=False),
            len(inputs.files),
            inputs.files_sha256,
            inputs.seeds_sha256,
            inputs.rubric_sha256,
            inputs.dbt_project_sha256,
            previous,
        ],
    )
    # one statement (executemany costs ≈ 1 ms a row: seconds for a year of files)
    sources, files, digests = ([row[i] for row in inputs.files] for i in range(3))
    conn.execute(
        "insert into publication_inputs select ?, ?, unnest(?::varchar[]), "
        "unnest(?::varchar[]), unnest(?::varchar[])",
        [year, version, sources, files, digests],
    )
    if previous is not None:
        for table in PUBLISHED_TABLES:
            insert_diff(conn, table, year, version, previous)


def _create_latest_views(conn: duckdb.DuckDBPyConnection) -> None:
    for name in TABLE_NAMES:
        conn.execute(
            f"create or replace view {name}_latest as select t.* from {name} as t "
            "join (select assessment_year, max(version) as version from publications "
            "group by assessment_year) as latest "
            "on t.assessment_year = latest.assessment_year "
            "and t.publication_version = latest.version"
        )


def publish_years(
    warehouse: Path,
    published: Path,
    years: Sequence[int] | None = None,
    *,
    on_built: Callable[[], None] | None = None,
) -> list[YearPublication]:
    """Publish the given assessment years (default: every year of the warehouse) in one new
    file. `on_built` runs once the new file is complete, before it replaces the old one.

    Crash-safe: killed at any point, the published file and Parquet folders are those of
    before or after the publication, never in between, and the next publication removes what
    the killed one left (see _clean_up) and converges on what an uninterrupted run makes."""
    published.parent.mkdir(parents=True, exist_ok=True)
    with _writer_lock(published):
        _clean_up(published)
        available = assessment_years(warehouse)
        years = sorted(set(available if years is None else years))
        missing = [y for y in years if y not in available]
        if missing:
            raise ValueError(
                f"no assessment for {missing} in {warehouse} (years with one: {available})"
            )
        with duckdb.connect(str(warehouse), read_only=True) as source:
            contents = {year: _year_content(source, year) for year in years}
            inputs = publication_inputs(source)
        latest = _latest_versions(published)
        results, changed = [], []
        for year in years:
            version, digest = latest.get(year, (0, None))
            content = contents[year]
            created = digest != content.content_sha256 and not (
                version and _same_but_for_rounding(warehouse, published, year, version, content)
            )
            if created:
                changed.append((year, version))
            results.append(
                YearPublication(
                    year, version + created, created, content.content_sha256, content.rows
                )
            )
        if changed:
            _build_and_swap(warehouse, published, changed, contents, inputs, on_built)
        elif published.exists():
            # a version published before its Parquet was written first (an earlier layout)
            parquet.write_missing(published, published)
    return results


def _clean_up(published: Path) -> None:
    """Under the lock, before anything else: what killed publications left (their new file
    and its .wal, half-written or half-deleted Parquet folders, whatever their pid: no live
    publisher owns them), then a file of global versions set aside, then the Parquet folders
    of versions the published file does not list (a kill between the Parquet and the file
    renames)."""
    remove_leftovers(published)
    _set_aside_global_versions(published)
    parquet.remove_unregistered(published)


def _build_and_swap(
    warehouse: Path,
    published: Path,
    changed: list[tuple[int, int]],
    contents: dict[int, _YearContent],
    inputs: PublicationInputs,
    on_built: Callable[[], None] | None,
) -> None:
    """The new file beside the published one, the new versions' Parquet from it, then the
    rename: the published file never lists a version without its complete Parquet folder."""
    partial = partial_file(published)
    remove_duckdb_file(partial)
    published_at = datetime.now(UTC).replace(tzinfo=None)
    with duckdb.connect(str(partial)) as conn:
        _copy_history(conn, published)
        problems = verify_versions(conn)
        if problems:
            raise RuntimeError(f"published versions changed since publication: {problems}")
        conn.execute(f"attach '{warehouse}' as working (read_only)")
        for year, latest in changed:
            previous = latest or None
            _insert_version(conn, year, latest + 1, previous, contents[year], inputs, published_at)
        conn.execute("detach working")
        _create_latest_views(conn)
        crash_point("publication.building")  # the new file open, its .wal beside it
        if on_built is not None:
            on_built()
    crash_point("publication.built")  # the new file complete and closed, nothing renamed
    parquet.write_missing(partial, published)
    os.replace(partial, published)
    parquet.fsync_dir(published.parent)
    crash_point("publication.renamed")


def publish_year(warehouse: Path, published: Path, year: int) -> YearPublication:
    """Publish one assessment year: a new version when its rows changed."""
    return publish_years(warehouse, published, [year])[0]
