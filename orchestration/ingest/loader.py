"""Load a feed's new files into DuckDB: lineage on every row, bad rows to quarantine,
one reconciliation record per file, all of a file in one transaction.

Idempotent by content: a file whose sha256 was already ingested for the feed is never parsed
or loaded again, whatever its name. Known content received again — for another delivery slot,
or for its own slot at another time — is a new receipt, recorded in raw.repeated_deliveries:
a header-only 零报告 copied from last month's file is that month's delivery of "none"; an
earlier export sent again after a different one is the slot's latest again; rows count once,
in the slot they were first delivered for. The same file seen again by a later run (same
content, slot and receipt time) is skipped. For every file: rows_read = rows_loaded +
rows_quarantined.

Files are found by the shared landing scan: symbolic links are never read (only counted) and
a file modified in the last settle_seconds (LQ_SETTLE_SECONDS) waits for the next run."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import duckdb
import pyarrow as pa

from orchestration import settings
from orchestration.ingest import file_store, landing
from orchestration.ingest.area import set_aside
from orchestration.ingest.contract import FeedContract
from orchestration.ingest.delivery import Slot, slot_of
from orchestration.ingest.errors import FileRejected, cap
from orchestration.ingest.failure_lists import list_fills, passing_rows
from orchestration.ingest.file_names import display_path
from orchestration.ingest.matrix import reshape_matrix
from orchestration.ingest.readers import read_table
from orchestration.ingest.validate_rows import (
    BadRow,
    CellProblem,
    GoodRows,
    MissingColumns,
    validate_rows,
)

LINEAGE_COLUMNS = {
    "_source_file": "VARCHAR NOT NULL",
    "_source_sha256": "VARCHAR NOT NULL",
    "_source_sheet": "VARCHAR",
    "_source_row": "INTEGER NOT NULL",
    "_raw_record": "JSON NOT NULL",
    "_loaded_at": "TIMESTAMP NOT NULL",
}

BOOKKEEPING_DDL = """
create schema if not exists raw;
create table if not exists raw.ingested_files (
    feed varchar not null,
    sha256 varchar not null,
    source_file varchar not null,
    file_bytes bigint not null,
    status varchar not null,            -- loaded | rejected
    rows_read integer not null,
    rows_loaded integer not null,
    rows_quarantined integer not null,
    reason varchar,
    sheet varchar,
    encoding varchar,
    header_map json,
    stored_path varchar not null,
    ingested_at timestamp not null,
    primary key (feed, sha256),
    check (rows_read = rows_loaded + rows_quarantined)
);
-- the delivery slot (docs/architecture.md): which source and period the file covers, and
-- when it was received; added after the first release, so older warehouses gain them here
alter table raw.ingested_files add column if not exists delivery_source varchar;
alter table raw.ingested_files add column if not exists delivery_period varchar;
alter table raw.ingested_files add column if not exists received_at timestamp;
-- of rows_quarantined, those set aside as not the feed's area (不属于廊坊市: contract `area`)
alter table raw.ingested_files add column if not exists rows_set_aside integer;
-- the same content delivered again for another slot (loader docstring); its rows are not
-- loaded twice: rows_read of the first delivery says whether it carried any
create table if not exists raw.repeated_deliveries (
    feed varchar not null,
    sha256 varchar not null,
    source_file varchar not null,
    first_source_file varchar not null,
    delivery_source varchar,
    delivery_period varchar not null,
    received_at timestamp,
    ingested_at timestamp not null
);
create table if not exists raw.quarantine (
    feed varchar not null,
    source_file varchar not null,
    source_sha256 varchar not null,
    source_sheet varchar,
    source_row integer,
    reason varchar not null,
    problems json not null,
    raw_record json,
    quarantined_at timestamp not null
);
-- true for a row set aside as not the feed's area (its reason says 不属于…)
alter table raw.quarantine add column if not exists set_aside boolean;
"""


@dataclass(frozen=True)
class FileReport:
    feed: str
    source_file: str
    sha256: str
    status: str  # loaded | rejected | already_ingested
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    reason: str | None
    seconds: float
    # status: loaded | rejected | already_ingested | repeated (same content, another slot) | failed
    rows_set_aside: int = 0  # of rows_quarantined: not the feed's area (不属于廊坊市)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class FeedIngestion:
    """One pass over a feed's landing folder: a report per file read, and the files left
    alone: symbolic links (never read), files still settling (read by a later pass) and
    misplaced files outside the landing layout (path and reason; read once moved into a
    delivery folder, so they are left in place and reported by every pass until then)."""

    reports: list[FileReport]
    symlinks_ignored: int
    files_settling: int
    misplaced: list[tuple[str, str]]


def ensure_tables(conn: duckdb.DuckDBPyConnection, contract: FeedContract) -> None:
    """The bookkeeping tables and the feed's table; a column added to the contract later is
    added to an existing table (null in the rows loaded before)."""
    conn.execute(BOOKKEEPING_DDL)
    schema = contract.table.split(".")[0]
    data_columns = [f"{name} {ddl}" for name, ddl in contract.table_columns]
    lineage = [f"{name} {ddl}" for name, ddl in LINEAGE_COLUMNS.items()]
    conn.execute(f"create schema if not exists {schema}")
    columns = ", ".join(data_columns + lineage)
    conn.execute(f"create table if not exists {contract.table} ({columns})")
    for column in data_columns:
        conn.execute(f"alter table {contract.table} add column if not exists {column}")


def landed_files(
    contract: FeedContract, raw_dir: Path, settle_seconds: float | None = None
) -> landing.Landing:
    """The feed's files in the landing zone: ready ones oldest path first, symbolic links and
    files still settling apart; hidden files and Excel lock files skipped. `settle_seconds`
    defaults to settings.settle_seconds()."""
    if settle_seconds is None:
        settle_seconds = settings.settle_seconds()
    return landing.scan(raw_dir / contract.landing_dir, settle_seconds)


@dataclass
class KnownFiles:
    """What raw.ingested_files and raw.repeated_deliveries say of one feed's contents, read
    once per pass over the landing zone (two queries), not once per landed file: a pass then
    costs what its new files cost, not what the feed's history holds. Kept current as the
    pass records files."""

    # sha256 -> (source_file, status, delivery_source, delivery_period, rows_read, received_at)
    files: dict[str, tuple[Any, ...]]
    repeats: set[tuple[Any, ...]]  # (sha256, delivery_source, delivery_period, received_at)

    @classmethod
    def read(cls, conn: duckdb.DuckDBPyConnection, feed: str) -> KnownFiles:
        files = conn.execute(
            "select sha256, source_file, status, delivery_source, delivery_period, rows_read, "
            "received_at from raw.ingested_files where feed = ?",
            [feed],
        ).fetchall()
        repeats = conn.execute(
            "select sha256, delivery_source, delivery_period, received_at "
            "from raw.repeated_deliveries where feed = ?",
            [feed],
        ).fetchall()
        return cls({row[0]: tuple(row[1:]) for row in files}, {tuple(r) for r in repeats})


def already_ingested(conn: duckdb.DuckDBPyConnection, feed: str, sha256: str) -> bool:
    found = conn.execute(
        "select 1 from raw.ingested_files where feed = ? and sha256 = ?", [feed, sha256]
    ).fetchall()
    return bool(found)


def _repeat_of(
    known: KnownFiles, sha256: str, slot: Slot, received: datetime
) -> tuple[str, str] | None:
    """(first file, reason) when known content is a new receipt: delivered again for another
    slot, or again for its own slot at another time (an earlier export sent again after a
    different one, which makes it the slot's latest). None when this receipt is known: the
    same file seen by an earlier run, or content that was rejected."""
    first_file, status, source, period, rows_read, first_received = known.files[sha256]
    same_slot = (source, period) == (slot.source, slot.period)
    if status != "loaded" or (same_slot and first_received == received):
        return None
    if (sha256, slot.source, slot.period, received) in known.repeats:
        return None
    if same_slot:
        return first_file, f"same content as {first_file}, delivered again: the slot's latest"
    if rows_read == 0:
        return first_file, (
            f"same content as {first_file}: a delivery of no rows, counted for {slot.period}"
        )
    return first_file, (
        f"same content as {first_file} (delivered for {period}): its rows count there only, "
        f"not again for {slot.period}"
    )


def _drop_known_keys(
    conn: duckdb.DuckDBPyConnection, contract: FeedContract, good: GoodRows, slot: Slot
) -> tuple[GoodRows, list[BadRow]]:
    """A key already loaded from another delivery slot is a duplicate delivery, not a new
    row. Rows of earlier files in the same slot do not count: a corrected re-delivery
    repeats them on purpose and replaces them."""
    if not contract.key or not len(good):
        return good, []
    parts = [good.columns[k] for k in contract.key]
    keyed = [i for i, key in enumerate(zip(*parts, strict=True)) if any(p is not None for p in key)]
    if not keyed:
        return good, []
    keys = pa.table(
        {
            k: pa.array([_key_text(good.columns[k][i]) for i in keyed], pa.string())
            for k in contract.key
        }
    )
    # an empty part of a key is a value (as in validate_rows): null matches null. The new keys
    # are cast to the table's types, not the table to text: casting every loaded row made each
    # file's check cost grow with the table (10 years of hourly air data: 5× slower).
    types = dict(contract.table_columns)
    join = " and ".join(
        f"t.{k} is not distinct from cast(n.{k} as {types[k]})" for k in contract.key
    )
    # The table is read only within the file's range of each key column that the file always
    # fills: DuckDB then skips every row group outside it (zone maps), so the check costs what
    # the file's keys touch, not the history (dates, running numbers: the usual keys).
    ranges, bounds = [], []
    for k, values in zip(contract.key, parts, strict=True):
        present = [values[i] for i in keyed]
        if all(v is not None for v in present):
            ranges.append(f"t.{k} between cast(? as {types[k]}) and cast(? as {types[k]})")
            bounds += [min(present), max(present)]
    where = " and ".join(ranges) or "true"
    conn.register("new_keys", keys)
    try:
        found = conn.execute(
            f"select {', '.join('n.' + k for k in contract.key)}, t._source_file, t._source_row "
            f"from (select * from {contract.table} t where {where}) t join new_keys n on {join} "
            "join raw.ingested_files f on f.feed = ? and f.sha256 = t._source_sha256 "
            "where f.delivery_period is distinct from ? "
            "or f.delivery_source is distinct from ?",
            [*bounds, contract.feed, slot.period, slot.source],
        ).fetchall()
    finally:
        conn.unregister("new_keys")
    if not found:
        return good, []
    width = len(contract.key)
    known = {tuple(row[:width]): (row[width], row[width + 1]) for row in found}
    labels = "/".join(contract.column(k).label for k in contract.key)
    kept, dropped = [], []
    keyed_set = set(keyed)
    for i, key in enumerate(zip(*parts, strict=True)):
        text = tuple(_key_text(part) for part in key)
        if text in known and i in keyed_set:
            source, line = known[text]
            shown = "/".join(part or "" for part in text)
            message = f"duplicate {labels} {shown}: already loaded from {source} row {line}"
            problem = (CellProblem(None, None, message),)
            dropped.append(BadRow(good.row_numbers[i], problem, good.raw_json[i]))
        else:
            kept.append(i)
    return good.take(kept), dropped


def _key_text(value: object) -> str | None:
    return None if value is None else str(value)


def insert_batch(conn: duckdb.DuckDBPyConnection, table: str, batch: pa.Table) -> None:
    """Bulk insert through Arrow, BY NAME: the batch and the table agree on column names,
    not positions. Every loader writes its rows this way."""
    if batch.num_rows == 0:
        return
    conn.register("insert_batch", batch)
    try:
        conn.execute(f"insert into {table} by name select * from insert_batch")
    finally:
        conn.unregister("insert_batch")


def quarantine_record(
    feed: str,
    lineage: dict[str, object],
    sheet: object,
    row_number: int,
    problems: list[dict[str, object]],
    reason: str,
    raw_json: str,
    set_aside: bool = False,
) -> dict[str, object]:
    """One raw.quarantine row: where the row came from, why it was refused, what it held."""
    return {
        "feed": feed,
        "source_file": lineage["_source_file"],
        "source_sha256": lineage["_source_sha256"],
        "source_sheet": sheet,
        "source_row": row_number,
        "reason": reason,
        "problems": json.dumps(problems, ensure_ascii=False),
        "raw_record": raw_json,
        "quarantined_at": lineage["_loaded_at"],
        "set_aside": set_aside,
    }


def record_file(
    conn: duckdb.DuckDBPyConnection,
    feed: str,
    sha256: str,
    source_file: str,
    stored: Path,
    status: str,
    counts: tuple[int, int, int],
    reason: str | None,
    ingested_at: datetime,
    sheet: str | None = None,
    encoding: str | None = None,
    header_map: dict[str, str] | None = None,
    slot: Slot | None = None,
    received: datetime | None = None,
    set_aside: int | None = None,
) -> None:
    """The file's row in raw.ingested_files; `counts` are read, loaded, quarantined (its CHECK
    constraint refuses a row where they do not add up). `slot` and `received` say which
    delivery it is (feeds; submissions keep their own versions); `set_aside`, how many of the
    quarantined rows are not the feed's area (feeds with a contract `area`)."""
    read, loaded, quarantined = counts
    record = {
        "feed": feed,
        "sha256": sha256,
        "source_file": source_file,
        "file_bytes": stored.stat().st_size,
        "status": status,
        "rows_read": read,
        "rows_loaded": loaded,
        "rows_quarantined": quarantined,
        "reason": reason,
        "sheet": sheet,
        "encoding": encoding,
        "header_map": json.dumps(header_map, ensure_ascii=False) if header_map else None,
        "stored_path": str(stored),
        "ingested_at": ingested_at,
        "delivery_source": slot.source if slot else None,
        "delivery_period": slot.period if slot else None,
        "received_at": received,
        "rows_set_aside": set_aside,
    }
    columns = ", ".join(record)
    conn.execute(
        f"insert into raw.ingested_files ({columns}) values ({', '.join('?' * len(record))})",
        list(record.values()),
    )


def _insert_good(
    conn: duckdb.DuckDBPyConnection,
    contract: FeedContract,
    rows: GoodRows,
    lineage: dict[str, object],
) -> None:
    if not len(rows):
        return
    data: dict[str, list[object]] = {name: rows.columns[name] for name, _ in contract.table_columns}
    data["_source_row"] = rows.row_numbers
    data["_raw_record"] = rows.raw_json
    for name, value in lineage.items():
        data[name] = [value] * len(rows)
    insert_batch(conn, contract.table, pa.table(data))


def _insert_bad(
    conn: duckdb.DuckDBPyConnection,
    feed: str,
    rows: list[BadRow],
    lineage: dict[str, object],
) -> None:
    records = [
        quarantine_record(
            feed,
            lineage,
            lineage["_source_sheet"],
            r.row_number,
            [asdict(p) for p in r.problems],
            r.reason,
            r.raw_json,
            r.set_aside,
        )
        for r in rows
    ]
    insert_batch(conn, "raw.quarantine", pa.Table.from_pylist(records))


def ingest_file(
    conn: duckdb.DuckDBPyConnection,
    contract: FeedContract,
    path: Path,
    raw_dir: Path,
    store_dir: Path,
    slot: Slot | None = None,
    known: KnownFiles | None = None,
) -> FileReport:
    """Ingest one file of delivery `slot` (default: read from where the file lies; a file
    outside the landing layout raises FileRejected). Never raises for bad data: the report
    says what happened. `known`: the feed's known contents, when the caller read them for a
    pass over many files (updated here as files are recorded)."""
    if slot is None:
        slot = slot_of(contract, _below_landing(contract, path, raw_dir))
    if known is None:
        known = KnownFiles.read(conn, contract.feed)
    started = time.perf_counter()
    source_file = display_path(path.relative_to(raw_dir).as_posix())
    sha256 = file_store.sha256_of(path)  # cheap check first: most files were seen before

    def report(
        status: str, read: int, loaded: int, quarantined: int, reason: str | None
    ) -> FileReport:
        return FileReport(
            contract.feed,
            source_file,
            sha256,
            status,
            read,
            loaded,
            quarantined,
            reason,
            round(time.perf_counter() - started, 4),
        )

    received = landing.received_at(path)

    def known_content() -> FileReport:
        """Known content: skipped, or recorded as a repeated delivery for this slot."""
        repeat = _repeat_of(known, sha256, slot, received)
        if repeat is None:
            # a known file under another name is said, so its sender learns it was not read
            first_file, first_status = known.files[sha256][:2]
            note = None
            if first_file != source_file:
                note = f"same content as {first_file} ({first_status}): not read again"
            return report("already_ingested", 0, 0, 0, note)
        first_file, reason = repeat
        record = {
            "feed": contract.feed,
            "sha256": sha256,
            "source_file": source_file,
            "first_source_file": first_file,
            "delivery_source": slot.source,
            "delivery_period": slot.period,
            "received_at": received,
            "ingested_at": datetime.now(UTC).replace(tzinfo=None),
        }
        insert_batch(conn, "raw.repeated_deliveries", pa.Table.from_pylist([record]))
        known.repeats.add((sha256, slot.source, slot.period, received))
        return report("repeated", 0, 0, 0, reason)

    if sha256 in known.files:
        return known_content()
    # From here on only the stored copy is read: what is loaded is what the hash names.
    sha256, stored = file_store.keep(path, store_dir)
    if sha256 in known.files:  # it changed into a known file meanwhile
        return known_content()
    now = datetime.now(UTC).replace(tzinfo=None)
    sheet = encoding = None
    header_map: dict[str, str] | None = None
    good = GoodRows([], {}, [])
    bad: list[BadRow] = []
    reason: str | None = None
    aside: list[BadRow] = []
    try:
        table = read_table(stored, contract.known_headers)
        sheet, encoding = table.sheet, table.encoding
        try:
            if contract.matrix is not None:  # a wide layout: one record per line key × column
                table = reshape_matrix(contract, table)
            # a published 不合格产品 list (by its name) declares its verdict and date basis
            fills, hint = list_fills(contract, path.name, table.headers, slot)
            # rows of another city: set aside before they are read (不属于廊坊市)
            table, aside = set_aside(contract, table)
            validated = validate_rows(contract, table, slot, fills, hint)
            good, bad, header_map = validated.good, validated.bad, validated.header_map
            good, passing = passing_rows(contract, table, validated.good, fills)
            bad = bad + passing + aside
        except MissingColumns as missing:
            # The file is readable but not this feed's layout: keep every row, each with the
            # reason; what was recognised is kept as the file's header map.
            reason = f"{source_file}: {missing}"
            header_map = missing.header_map
            problem = (CellProblem(None, f"row {table.header_row}", str(missing)),)
            bad = [BadRow(r.row_number, problem, "{}") for r in table.rows] + aside
    except FileRejected as rejected:
        reason = f"{source_file}: {rejected}"
    reason = cap(reason) if reason else None
    lineage = {
        "_source_file": source_file,
        "_source_sha256": sha256,
        "_source_sheet": sheet,
        "_loaded_at": now,
    }
    conn.begin()
    try:
        good, duplicates = _drop_known_keys(conn, contract, good, slot)
        bad = sorted(bad + duplicates, key=lambda r: r.row_number)
        _insert_good(conn, contract, good, lineage)
        _insert_bad(conn, contract.feed, bad, lineage)
        status = "rejected" if reason else "loaded"
        record_file(
            conn,
            contract.feed,
            sha256,
            source_file,
            stored,
            status,
            (len(good) + len(bad), len(good), len(bad)),
            reason,
            now,
            sheet,
            encoding,
            header_map,
            slot,
            received,
            sum(r.set_aside for r in bad) if contract.area else None,
        )
        conn.commit()
    except Exception:
        conn.rollback()
        raise
    known.files[sha256] = (
        source_file,
        status,
        slot.source,
        slot.period,
        len(good) + len(bad),
        received,
    )
    done = report(status, len(good) + len(bad), len(good), len(bad), reason)
    return replace(done, rows_set_aside=sum(r.set_aside for r in bad))


def _below_landing(contract: FeedContract, path: Path, raw_dir: Path) -> PurePosixPath:
    return PurePosixPath(path.relative_to(raw_dir / contract.landing_dir).as_posix())


def ingest_feed(
    conn: duckdb.DuckDBPyConnection,
    contract: FeedContract,
    raw_dir: Path,
    store_dir: Path,
    settle_seconds: float | None = None,
    months: frozenset[str] | None = None,
) -> list[FileReport]:
    """Ingest every new, ready file of the feed (ingest_landed, without the counts)."""
    return ingest_landed(conn, contract, raw_dir, store_dir, settle_seconds, months).reports


def ingest_landed(
    conn: duckdb.DuckDBPyConnection,
    contract: FeedContract,
    raw_dir: Path,
    store_dir: Path,
    settle_seconds: float | None = None,
    months: frozenset[str] | None = None,
) -> FeedIngestion:
    """Ingest every new, ready file of the feed, or with `months` (YYYY-MM partitions) those
    whose delivery period lies in one of them (a yearly slot lies in each month of its year).
    One file's failure never stops the others.
    Symbolic links are counted, never read; settling files are counted and left for the next
    run. `settle_seconds` defaults to settings.settle_seconds()."""
    ensure_tables(conn, contract)
    landed = landed_files(contract, raw_dir, settle_seconds)
    known = KnownFiles.read(conn, contract.feed)
    reports = []
    misplaced = []
    for path in landed.ready:
        try:
            slot = slot_of(contract, _below_landing(contract, path, raw_dir))
        except FileRejected as error:
            misplaced.append((display_path(path.relative_to(raw_dir).as_posix()), str(error)))
            continue
        if months is not None and not slot.months & months:
            continue
        try:
            reports.append(ingest_file(conn, contract, path, raw_dir, store_dir, slot, known))
        except Exception as error:  # a bug or a database fault: record it, go on
            reports.append(
                FileReport(
                    contract.feed,
                    display_path(path.relative_to(raw_dir).as_posix()),
                    "",
                    "failed",
                    0,
                    0,
                    0,
                    f"{type(error).__name__}: {error}",
                    0.0,
                )
            )
    return FeedIngestion(reports, len(landed.symlinks), len(landed.settling), misplaced)
