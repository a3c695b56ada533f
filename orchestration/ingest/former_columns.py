"""Move an older warehouse's values into the columns that replaced theirs (contract
`formerly`), so an upgrade keeps every loaded row readable without loading it again.

The spot-check feed once had one `enterprise_name` for whoever a file named: the sampled unit
(受检单位) or the manufacturer (标称生产企业). Two role columns replace it; which role a row's
value had is what its file's header said, and that header is in the file's `header_map`
(raw.ingested_files). A value whose header names neither role goes to the first heir."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from orchestration.ingest.contract import ColumnSpec, FeedContract
from orchestration.ingest.readers import clean_header


def move_former_columns(conn: duckdb.DuckDBPyConnection, contract: FeedContract) -> list[str]:
    """Fill the heirs of each former column still in the feed's table, then drop it, in one
    transaction (a kill leaves the table as it was). Returns the columns moved."""
    schema, table = contract.table.split(".")
    existing = {
        row[0]
        for row in conn.execute(
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
            [schema, table],
        ).fetchall()
    }
    current = {column.name for column in contract.columns}
    former = sorted(
        {old for c in contract.columns for old in c.formerly if old in existing} - current
    )
    for old in former:
        heirs = [c for c in contract.columns if old in c.formerly]
        files = conn.execute(
            "select sha256, json_extract_string(header_map, ?) from raw.ingested_files "
            "where feed = ?",
            [f"$.{old}", contract.feed],
        ).fetchall()
        by_heir: dict[str, list[str]] = {}
        for sha256, header in files:
            by_heir.setdefault(_heir(heirs, header).name, []).append(sha256)
        conn.begin()
        try:
            for name, shas in by_heir.items():
                moved = pa.table({"sha256": shas})  # noqa: F841 - read by the SQL below
                conn.execute(
                    f"update {contract.table} set {name} = {old} "
                    f"where {name} is null and _source_sha256 in (select sha256 from moved)"
                )
            empty = " and ".join(f"{c.name} is null" for c in heirs)
            conn.execute(f"update {contract.table} set {heirs[0].name} = {old} where {empty}")
            conn.execute(f"alter table {contract.table} drop column {old}")
            conn.commit()
        except Exception:
            conn.rollback()
            raise
    return former


def _heir(heirs: list[ColumnSpec], header: str | None) -> ColumnSpec:
    """The heir whose synonyms hold the file's header for the former column."""
    if header:
        cleaned = clean_header(header)
        for column in heirs:
            if cleaned in {clean_header(h) for h in column.headers}:
                return column
    return heirs[0]
