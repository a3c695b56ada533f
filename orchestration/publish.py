"""Publish assessment tables into the bureau's read-only DuckDB file, as immutable versions.

The published file is never opened for writing in place: each publication builds a new file
beside it (copying every earlier version) and atomically renames it over the old one. Readers
holding the old file keep reading it undisturbed; the pipeline never waits for a reader."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

# Working-warehouse table → published table name.
PUBLISHED_TABLES = {
    "marts.fct_city_targets": "city_targets",
    "marts.fct_kpi_values": "kpi_values",  # per year and scope: city and each county
    "marts.fct_county_scorecard": "county_scorecard",  # 县(市、区)考核得分
    "marts.fct_unit_scorecard": "unit_scorecard",  # 市直部门考核得分
    "marts.fct_assessment_items": "assessment_items",  # 考核得分明细
}


@dataclass(frozen=True)
class PublishResult:
    version: int
    created: bool  # False when the content equals the latest version: nothing new published
    content_sha256: str
    inputs_sha256: str
    rows: dict[str, int]
    path: Path


def _table_hash(conn: duckdb.DuckDBPyConnection, query: str) -> tuple[str, int]:
    """sha256 and row count of a query's rows, computed in DuckDB: every row as text, in a
    canonical order, so the same content always hashes the same."""
    digest, rows = conn.execute(
        "select sha256(coalesce(string_agg(line, chr(10) order by line), '')), count(*) "
        f"from (select cast(t as varchar) as line from ({query}) as t)"
    ).fetchall()[0]
    return digest, rows


def _add_new_columns(conn: duckdb.DuckDBPyConnection, source: str, target: str) -> None:
    """Columns the working table has and the published history lacks (the mart evolved)."""
    have = {row[0] for row in conn.execute(f"describe {target}").fetchall()}
    for column, column_type, *_ in conn.execute(f"describe {source}").fetchall():
        if column not in have:
            conn.execute(f'alter table {target} add column "{column}" {column_type}')


def _latest(published: Path) -> tuple[int, str | None]:
    if not published.exists():
        return 0, None
    with duckdb.connect(str(published), read_only=True) as conn:
        row = conn.execute(
            "select version, content_sha256 from publications order by version desc limit 1"
        ).fetchall()
    return (row[0][0], row[0][1]) if row else (0, None)


def publish(warehouse: Path, published: Path) -> PublishResult:
    with duckdb.connect(str(warehouse), read_only=True) as source:
        hashes = {
            table: _table_hash(source, f"select * from {table}") for table in PUBLISHED_TABLES
        }
        # the delivered files the warehouse was built from
        inputs_sha256, _ = _table_hash(
            source, "select feed, sha256 from raw.ingested_files where status = 'loaded'"
        )
    content_sha256 = hashlib.sha256("".join(h for h, _ in hashes.values()).encode()).hexdigest()
    rows = {PUBLISHED_TABLES[t]: n for t, (_, n) in hashes.items()}
    latest_version, latest_hash = _latest(published)
    if latest_hash == content_sha256:
        return PublishResult(latest_version, False, content_sha256, inputs_sha256, rows, published)

    version = latest_version + 1
    published.parent.mkdir(parents=True, exist_ok=True)
    partial = published.with_name(f".{published.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    with duckdb.connect(str(partial)) as conn:
        conn.execute(f"attach '{warehouse}' as working (read_only)")
        if published.exists():
            conn.execute(f"attach '{published}' as previous (read_only)")
            conn.execute("create table publications as select * from previous.publications")
            earlier = {
                row[0]
                for row in conn.execute(
                    "select table_name from duckdb_tables() where database_name = 'previous'"
                ).fetchall()
            }
            # A table added to the publication later starts empty for the earlier versions.
            for name in set(PUBLISHED_TABLES.values()) & earlier:
                conn.execute(f"create table {name} as select * from previous.{name}")
            conn.execute("detach previous")
        else:
            conn.execute("""
                create table publications (
                    version integer primary key,
                    published_at timestamp not null,
                    content_sha256 varchar not null,
                    inputs_sha256 varchar not null,
                    row_counts json not null
                )""")
        for source_table, name in PUBLISHED_TABLES.items():
            conn.execute(
                f"create table if not exists {name} as "
                f"select 0 as publication_version, * from working.{source_table} limit 0"
            )
            _add_new_columns(conn, f"working.{source_table}", name)
            # By name: a column the mart gained is NULL in earlier versions, never shifted.
            conn.execute(
                f"insert into {name} by name "
                f"select {version} as publication_version, * from working.{source_table}"
            )
            conn.execute(
                f"create or replace view {name}_latest as select * from {name} "
                f"where publication_version = (select max(version) from publications)"
            )
        conn.execute(
            "insert into publications values (?, ?, ?, ?, ?)",
            [
                version,
                datetime.now(UTC).replace(tzinfo=None),
                content_sha256,
                inputs_sha256,
                json.dumps(rows),
            ],
        )
        conn.execute("detach working")
    os.replace(partial, published)
    return PublishResult(version, True, content_sha256, inputs_sha256, rows, published)
