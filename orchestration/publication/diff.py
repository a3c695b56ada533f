"""Row-level differences between two published versions of one assessment year: stored by the
publisher (insert_diff), read by reader.py, rendered as Markdown here (Dagster metadata,
`lq diff`).

A row is identified by its table's key within the year (PublishedTable.key). A row only in the
new version is `added`, only in the old one `removed` (the whole row as JSON in new_value /
old_value); a row in both with different values is `changed`, one diff row per column."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple
from typing import Protocol

import duckdb

from orchestration.publication.reader import PublishedReader, VersionDiff
from orchestration.publication.tables import TABLE_NAMES

DIFF_DDL = """
create table if not exists publication_diffs (
    assessment_year integer not null,
    version integer not null,
    previous_version integer not null,
    table_name varchar not null,
    row_key varchar not null,        -- JSON of the table's key columns
    change varchar not null check (change in ('added', 'removed', 'changed')),
    column_name varchar,             -- changed rows only
    old_value varchar,               -- the value, or the removed row as JSON
    new_value varchar                -- the value, or the added row as JSON
)"""

# Columns that say which version a row belongs to, not what it says.
_VERSION_COLUMNS = ("publication_version", "assessment_year")


class KeyedTable(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def key(self) -> tuple[str, ...]: ...


def _q(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _json_of(alias: str, columns: Sequence[str]) -> str:
    fields = ", ".join(f"{_q(c)} := {alias}.{_q(c)}" for c in columns)
    return f"cast(to_json(struct_pack({fields})) as varchar)"


def insert_diff(
    conn: duckdb.DuckDBPyConnection,
    table: KeyedTable,
    year: int,
    version: int,
    previous: int,
) -> None:
    """Store the differences of `table` between `previous` and `version` of `year`."""
    columns = [r[0] for r in conn.execute(f"describe {table.name}").fetchall()]
    values = [c for c in columns if c not in (*_VERSION_COLUMNS, *table.key)]
    payload = [c for c in columns if c not in _VERSION_COLUMNS]
    key_json = _json_of("{side}", table.key)
    same_key = " and ".join(f"o.{_q(k)} is not distinct from n.{_q(k)}" for k in table.key)
    head = f"select {year}, {version}, {previous}, '{table.name}', "
    sides = (
        f"with o as (select * from {table.name} "
        f"where assessment_year = {year} and publication_version = {previous}), "
        f"n as (select * from {table.name} "
        f"where assessment_year = {year} and publication_version = {version}) "
    )
    parts = [
        f"{head}{key_json.format(side='n')}, 'added', null, null, {_json_of('n', payload)} "
        f"from n where not exists (select 1 from o where {same_key})",
        f"{head}{key_json.format(side='o')}, 'removed', null, {_json_of('o', payload)}, null "
        f"from o where not exists (select 1 from n where {same_key})",
        *(
            f"{head}{key_json.format(side='n')}, 'changed', '{c}', "
            f"cast(o.{_q(c)} as varchar), cast(n.{_q(c)} as varchar) "
            f"from o join n on {same_key} where o.{_q(c)} is distinct from n.{_q(c)}"
            for c in values
        ),
    ]
    conn.execute(f"insert into publication_diffs {sides}{' union all '.join(parts)}")


def _cell(value: object, width: int = 60) -> str:
    text = "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def render_diff(diff: VersionDiff, tables: Sequence[str] = TABLE_NAMES) -> str:
    """Counts per table and the first rows of a version's diff, as Markdown."""
    title = f"### {diff.year}: version {diff.version}"
    if diff.previous_version is None:
        if diff.version == 1:
            return f"{title} is the first publication of {diff.year}: nothing to compare."
        return f"{title}: no differences were recorded."
    lines = [
        f"{title} against version {diff.previous_version}",
        "",
        "| table | rows added | rows removed | rows changed | values changed |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in tables:
        c = diff.of(name)
        lines.append(
            f"| {name} | {c.rows_added} | {c.rows_removed} | {c.rows_changed} "
            f"| {c.values_changed} |"
        )
    if not diff.rows:
        return "\n".join([*lines, "", "No row differs."])
    lines += [
        "",
        f"{len(diff.rows)} of {diff.total} differences:",
        "",
        "| table | row | change | column | old | new |",
        "|---|---|---|---|---|---|",
        *(f"| {' | '.join(_cell(v) for v in astuple(row))} |" for row in diff.rows),
    ]
    if len(diff.rows) < diff.total:
        lines.append(
            f"\nAll of them: table publication_diffs, or "
            f"`lq diff --year {diff.year} --version {diff.version} --limit {diff.total}`."
        )
    return "\n".join(lines)


def diff_markdown(
    conn: duckdb.DuckDBPyConnection,
    year: int,
    version: int,
    tables: Sequence[str] = TABLE_NAMES,
    first_rows: int = 20,
) -> str:
    """render_diff of `version` of `year`, read (reader.py) from a read-only connection to the
    published file."""
    return render_diff(PublishedReader(conn).diff(year, version, first_rows), tables)
