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
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import duckdb
import pyarrow as pa

from orchestration import settings
from orchestration.ingest import file_store, landing
from orchestration.ingest.area import set_aside
from orchestration.ingest.batches import write_isolating
from orchestration.ingest.contract import FeedContract
from orchestration.ingest.delivery import Slot, slot_of
from orchestration.ingest.errors import FileRejected, cap
from orchestration.ingest.failure_lists import list_fills, passing_rows
from orchestration.ingest.file_names import display_path
from orchestration.ingest.former_columns import move_former_columns
from orchestration.ingest.matrix import reshape_matrix
from orchestration.ingest.readers import read_table
from orchestration.ingest.validate_rows import (
    BadRow,
    CellProblem,
    GoodRows,
    MissingColumns,
    ReadingMemo,
    validate_rows,
)

LINEAGE_COLUMNS = {
    "_source_file": "VARCHAR NOT NULL",
    "_source_sha256": "VARCHAR NOT NULL",
    "_source_sheet": "VARCHAR",
    "_source_row": "INTEGER NOT NULL",
    # the row as delivered: kept for refused rows; a loaded row's is its stored file's row
    "_raw_record": "JSON",
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


# A batch is written when it holds this many rows or files (memory stays ≈ 100 MB).
BATCH_ROWS = 100_000
BATCH_FILES = 1_000


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
    move_former_columns(conn, contract)
    # warehouses made before loaded rows stopped carrying their JSON copy
    required = conn.execute(
        "select 1 from duckdb_columns() where schema_name = ? and table_name = ? "
        "and column_name = '_raw_record' and not is_nullable",
        contract.table.split("."),
    ).fetchall()
    if required:
        conn.execute(f"alter table {contract.table} alter column _raw_record drop not null")


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
    conn: duckdb.DuckDBPyConnection, contract: FeedContract, parsed: list[_Parsed]
) -> None:
    """A key already loaded from another delivery slot is a duplicate delivery, not a new
    row: by an earlier batch (the table) or by an earlier file of this batch. Rows of earlier
    files in the same slot do not count: a corrected re-delivery repeats them on purpose and
    replaces them. Moves each duplicate from the file's good rows to its bad rows."""
    if not contract.key:
        return
    # (file, position, key) of every row whose key is not wholly empty; an empty part of a
    # key is a value (as in validate_rows): null matches null
    keyed: list[tuple[int, int, tuple[object, ...]]] = []
    for number, item in enumerate(parsed):
        if not len(item.good):
            continue
        parts = [item.good.columns[k] for k in contract.key]
        keyed += [
            (number, i, key)
            for i, key in enumerate(zip(*parts, strict=True))
            if any(p is not None for p in key)
        ]
    if not keyed:
        return
    loaded = _loaded_elsewhere(conn, contract, parsed, keyed)
    labels = "/".join(contract.column(k).label for k in contract.key)
    # the batch's own rows, in delivery order: the first kept row of a key decides its slot
    first: dict[tuple[object, ...], tuple[Slot, str, int]] = {}
    dropped: dict[int, dict[int, tuple[str, int]]] = {}
    for number, i, key in keyed:
        item = parsed[number]
        earlier = loaded.get((number, i))
        if earlier is None:
            kept = first.get(key)
            if kept is None:
                first[key] = (item.slot, item.source_file, item.good.row_numbers[i])
                continue
            if _same_slot(kept[0], item.slot):
                continue
            earlier = kept[1], kept[2]
        dropped.setdefault(number, {})[i] = earlier
    for number, positions in dropped.items():
        item = parsed[number]
        duplicates = []
        for i, (source, line) in positions.items():
            key = tuple(item.good.columns[k][i] for k in contract.key)
            shown = "/".join(_key_text(part) or "" for part in key)
            message = f"duplicate {labels} {shown}: already loaded from {source} row {line}"
            problem = (CellProblem(None, None, message),)
            delivered = item.good.delivered_json(i)
            duplicates.append(BadRow(item.good.row_numbers[i], problem, delivered))
        item.good = item.good.take([i for i in range(len(item.good)) if i not in positions])
        item.bad = sorted(item.bad + duplicates, key=lambda r: r.row_number)


def _same_slot(one: Slot, other: Slot) -> bool:
    return (one.source, one.period) == (other.source, other.period)


def _loaded_elsewhere(
    conn: duckdb.DuckDBPyConnection,
    contract: FeedContract,
    parsed: list[_Parsed],
    keyed: list[tuple[int, int, tuple[object, ...]]],
) -> dict[tuple[int, int], tuple[str, int]]:
    """(file, position) → (source file, row) of a table row with the same key from another
    delivery slot: one query for the whole batch."""
    keys = pa.table(
        {
            **{
                k: pa.array([_key_text(key[n]) for _, _, key in keyed], pa.string())
                for n, k in enumerate(contract.key)
            },
            "file_no": pa.array([number for number, _, _ in keyed], pa.int32()),
            "position": pa.array([i for _, i, _ in keyed], pa.int32()),
            "slot_source": pa.array([parsed[n].slot.source for n, _, _ in keyed], pa.string()),
            "slot_period": pa.array([parsed[n].slot.period for n, _, _ in keyed], pa.string()),
        }
    )
    # The new keys are cast to the table's types, not the table to text: casting every loaded
    # row made each check cost grow with the table (10 years of hourly air data: 5× slower).
    types = dict(contract.table_columns)
    join = " and ".join(
        f"t.{k} is not distinct from cast(n.{k} as {types[k]})" for k in contract.key
    )
    # The table is read only within the batch's range of each key column that its rows always
    # fill: DuckDB then skips every row group outside it (zone maps), so the check costs what
    # the new keys touch, not the history (dates, running numbers: the usual keys).
    ranges, bounds = [], []
    for n, k in enumerate(contract.key):
        present = [key[n] for _, _, key in keyed]
        if all(v is not None for v in present):
            ranges.append(f"t.{k} between cast(? as {types[k]}) and cast(? as {types[k]})")
            bounds += [min(present), max(present)]
    where = " and ".join(ranges) or "true"
    conn.register("new_keys", keys)
    try:
        found = conn.execute(
            "select n.file_no, n.position, min(t._source_file), "
            "min_by(t._source_row, t._source_file) "
            f"from (select * from {contract.table} t where {where}) t join new_keys n on {join} "
            "join raw.ingested_files f on f.feed = ? and f.sha256 = t._source_sha256 "
            "where f.delivery_period is distinct from n.slot_period "
            "or f.delivery_source is distinct from n.slot_source "
            "group by n.file_no, n.position",
            [*bounds, contract.feed],
        ).fetchall()
    finally:
        conn.unregister("new_keys")
    return {(row[0], row[1]): (row[2], row[3]) for row in found}


def _key_text(value: object) -> str | None:
    return None if value is None else str(value)


def insert_batch(conn: duckdb.DuckDBPyConnection, table: str, batch: pa.Table) -> None:
    """Bulk insert through Arrow, BY NAME: the batch and the table agree on column names,
    not positions. Every loader writes its rows this way."""
    if batch.num_rows == 0:
        return
    # DuckDB finds `batch` among this frame's locals (a replacement scan): no view is
    # registered and dropped, two catalog changes per insert fewer
    conn.execute(f"insert into {table} by name select * from batch")


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


def file_record(
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
) -> dict[str, object]:
    """The file's row of raw.ingested_files; `counts` are read, loaded, quarantined (its CHECK
    constraint refuses a row where they do not add up). `slot` and `received` say which
    delivery it is (feeds; submissions keep their own versions); `set_aside`, how many of the
    quarantined rows are not the feed's area (feeds with a contract `area`)."""
    read, loaded, quarantined = counts
    return {
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


@dataclass
class _Parsed:
    """A new file read and validated, waiting to be written with its batch."""

    source_file: str
    sha256: str
    stored: Path
    slot: Slot
    received: datetime
    ingested_at: datetime
    sheet: str | None
    encoding: str | None
    header_map: dict[str, str] | None
    reason: str | None  # why the whole file was rejected
    good: GoodRows
    bad: list[BadRow]
    seconds: float  # reading and validating it

    @property
    def status(self) -> str:
        return "rejected" if self.reason else "loaded"

    @property
    def rows_read(self) -> int:
        return len(self.good) + len(self.bad)

    @property
    def rows_set_aside(self) -> int:
        return sum(r.set_aside for r in self.bad)

    def lineage(self) -> dict[str, object]:
        return {
            "_source_file": self.source_file,
            "_source_sha256": self.sha256,
            "_source_sheet": self.sheet,
            "_loaded_at": self.ingested_at,
        }


@dataclass
class _Repeat:
    """Known content received again: one raw.repeated_deliveries row."""

    record: dict[str, object]
    report: FileReport


def _parse_file(
    contract: FeedContract,
    path: Path,
    raw_dir: Path,
    store_dir: Path,
    slot: Slot,
    known: KnownFiles,
    memo: ReadingMemo,
) -> _Parsed | _Repeat | FileReport:
    """Read and validate one landed file (kept in the store first); nothing is written to the
    warehouse. Known content comes back as a repeated delivery or as already ingested.
    `known` is updated at once, so a second copy later in the same pass is known content."""
    started = time.perf_counter()
    source_file = display_path(path.relative_to(raw_dir).as_posix())
    sha256 = file_store.sha256_of(path)  # cheap check first: most files were seen before
    received = landing.received_at(path)

    def known_content() -> _Repeat | FileReport:
        repeat = _repeat_of(known, sha256, slot, received)
        if repeat is None:
            # a known file under another name is said, so its sender learns it was not read
            first_file, first_status = known.files[sha256][:2]
            note = None
            if first_file != source_file:
                note = f"same content as {first_file} ({first_status}): not read again"
            return FileReport(
                contract.feed, source_file, sha256, "already_ingested", 0, 0, 0, note, 0.0
            )
        first_file, reason = repeat
        known.repeats.add((sha256, slot.source, slot.period, received))
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
        seconds = round(time.perf_counter() - started, 4)
        report = FileReport(
            contract.feed, source_file, sha256, "repeated", 0, 0, 0, reason, seconds
        )
        return _Repeat(record, report)

    if sha256 in known.files:
        return known_content()
    # From here on only the stored copy is read: what is loaded is what the hash names.
    sha256, stored = file_store.keep(path, store_dir)
    if sha256 in known.files:  # it changed into a known file meanwhile
        return known_content()
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
            validated = validate_rows(contract, table, slot, fills, hint, memo)
            good, bad, header_map = validated.good, validated.bad, validated.header_map
            good, passing = passing_rows(contract, table, validated.good, fills)
            bad = sorted(bad + passing + aside, key=lambda r: r.row_number)
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
    parsed = _Parsed(
        source_file,
        sha256,
        stored,
        slot,
        received,
        datetime.now(UTC).replace(tzinfo=None),
        sheet,
        encoding,
        header_map,
        reason,
        good,
        bad,
        time.perf_counter() - started,
    )
    known.files[sha256] = (
        source_file,
        parsed.status,
        slot.source,
        slot.period,
        parsed.rows_read,
        received,
    )
    return parsed


def _good_rows_table(
    contract: FeedContract, files: list[tuple[GoodRows, dict[str, object]]]
) -> pa.Table:
    """The loading rows of files (each with its lineage) as one Arrow table."""
    names = [name for name, _ in contract.table_columns]
    data: dict[str, list[object]] = {name: [] for name in [*names, *LINEAGE_COLUMNS]}
    for good, lineage in files:
        count = len(good)
        if not count:
            continue
        for name in names:
            data[name] += good.columns[name]
        data["_source_row"] += good.row_numbers
        data["_raw_record"] += [None] * count
        for name, value in lineage.items():
            data[name] += [value] * count
    return pa.table(data)


def insert_good(
    conn: duckdb.DuckDBPyConnection,
    contract: FeedContract,
    good: GoodRows,
    lineage: dict[str, object],
) -> None:
    """One file's loading rows into the feed's table (`lineage`: its _source_* and
    _loaded_at values)."""
    insert_batch(conn, contract.table, _good_rows_table(contract, [(good, lineage)]))


def _quarantine_table(feed: str, parsed: list[_Parsed]) -> pa.Table:
    records = []
    for item in parsed:
        lineage = item.lineage()
        records += [
            quarantine_record(
                feed,
                lineage,
                item.sheet,
                r.row_number,
                [asdict(p) for p in r.problems],
                r.reason,
                r.raw_json,
                r.set_aside,
            )
            for r in item.bad
        ]
    return pa.Table.from_pylist(records)


def _file_records(contract: FeedContract, parsed: list[_Parsed]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            file_record(
                contract.feed,
                item.sha256,
                item.source_file,
                item.stored,
                item.status,
                (item.rows_read, len(item.good), len(item.bad)),
                item.reason,
                item.ingested_at,
                item.sheet,
                item.encoding,
                item.header_map,
                item.slot,
                item.received,
                item.rows_set_aside if contract.area else None,
            )
            for item in parsed
        ]
    )


def _write_batch(
    conn: duckdb.DuckDBPyConnection, contract: FeedContract, batch: list[_Parsed | _Repeat]
) -> list[FileReport]:
    """Write a batch of files in one transaction: their rows, quarantined rows, file records
    and repeated deliveries. A crash loses the whole batch and the next pass reads it again
    (the stored copies are kept; nothing is written twice)."""
    started = time.perf_counter()
    parsed = [item for item in batch if isinstance(item, _Parsed)]
    repeats = [item.record for item in batch if isinstance(item, _Repeat)]
    conn.begin()
    try:
        _drop_known_keys(conn, contract, parsed)
        files = [(item.good, item.lineage()) for item in parsed]
        insert_batch(conn, contract.table, _good_rows_table(contract, files))
        insert_batch(conn, "raw.quarantine", _quarantine_table(contract.feed, parsed))
        insert_batch(conn, "raw.ingested_files", _file_records(contract, parsed))
        insert_batch(conn, "raw.repeated_deliveries", pa.Table.from_pylist(repeats))
        conn.commit()
    except Exception:
        conn.rollback()
        raise
    share = (time.perf_counter() - started) / max(len(batch), 1)
    reports = []
    for item in batch:
        if isinstance(item, _Repeat):
            reports.append(item.report)
            continue
        reports.append(
            FileReport(
                contract.feed,
                item.source_file,
                item.sha256,
                item.status,
                item.rows_read,
                len(item.good),
                len(item.bad),
                item.reason,
                round(item.seconds + share, 4),
                item.rows_set_aside,
            )
        )
    return reports


def _failed(feed: str, source_file: str, error: Exception) -> FileReport:
    """A bug or a database fault: recorded, and the pass goes on."""
    reason = f"{type(error).__name__}: {error}"
    return FileReport(feed, source_file, "", "failed", 0, 0, 0, reason, 0.0)


def _write_or_isolate(
    conn: duckdb.DuckDBPyConnection,
    contract: FeedContract,
    batch: list[_Parsed | _Repeat],
    known: KnownFiles,
) -> list[FileReport]:
    """The batch in one transaction, or file by file if that fails (batches.py)."""

    def failed(item: _Parsed | _Repeat, error: Exception) -> FileReport:
        if isinstance(item, _Repeat):
            return _failed(contract.feed, str(item.record["source_file"]), error)
        known.files.pop(item.sha256, None)  # read again by the next pass
        return _failed(contract.feed, item.source_file, error)

    return write_isolating(batch, lambda items: _write_batch(conn, contract, items), failed)


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
    reports: list[FileReport] = []
    misplaced = []
    batch: list[_Parsed | _Repeat] = []
    batch_rows = 0
    memo: ReadingMemo = {}
    seen: list[str] = []
    for path in landed.ready:
        source_file = display_path(path.relative_to(raw_dir).as_posix())
        seen.append(source_file)
        try:
            slot = slot_of(contract, _below_landing(contract, path, raw_dir))
        except FileRejected as error:
            misplaced.append((source_file, str(error)))
            continue
        if months is not None and not slot.months & months:
            continue
        try:
            item = _parse_file(contract, path, raw_dir, store_dir, slot, known, memo)
        except Exception as error:  # a bug or an I/O fault: record it, go on
            reports.append(_failed(contract.feed, source_file, error))
            continue
        if isinstance(item, FileReport):
            reports.append(item)
            continue
        batch.append(item)
        batch_rows += item.rows_read if isinstance(item, _Parsed) else 0
        # Files are written in batches, one transaction each: a statement per file cost more
        # than reading the file (DuckDB's fixed cost per statement and commit).
        if batch_rows >= BATCH_ROWS or len(batch) >= BATCH_FILES:
            reports += _write_or_isolate(conn, contract, batch, known)
            batch, batch_rows = [], 0
            memo.clear()  # memory stays in proportion to a batch
    if batch:
        reports += _write_or_isolate(conn, contract, batch, known)
    # in landing order, as the files were found (batched files report when written)
    order = {name: i for i, name in enumerate(seen)}
    reports.sort(key=lambda r: order[r.source_file])
    return FeedIngestion(reports, len(landed.symlinks), len(landed.settling), misplaced)
