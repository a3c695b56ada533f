"""The incremental int_<feed>__current models (issue 12: a run costs what its new data costs)
give exactly the tables a `--full-refresh` build gives.

One small year of the four big feeds (sample generators, a few slots each) is loaded and built.
Then each feed receives a new delivery (a slot held back from the first load) and a corrected
re-delivery with fewer rows; spot checks also a header-only correction (the slot becomes
"none") and special equipment a correction that cannot be read (rejected: it changes nothing).
An incremental `dbt build` follows; the same warehouse file, copied, is rebuilt with
`dbt build --full-refresh`, and every table and view of staging, intermediate and marts is
compared row for row in both directions (`except all`; doubles to 12 significant digits, as
the last bit of an average depends on the order rows are summed in)."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest.contract import load_contract
from orchestration.ingest.landing import LOCAL_TIME
from sample_data.air_quality_hourly import generate_air_quality_hourly
from sample_data.complaints import generate_complaints
from sample_data.special_equipment import generate_special_equipment
from sample_data.spot_checks import generate_spot_checks
from tests.feed_helpers import FeedWarehouse, run_dbt, stamp

# End to end (several pipeline runs or processes): `scripts/test.sh --all` and CI.
pytestmark = pytest.mark.slow

GENERATORS = {
    "spot_checks": generate_spot_checks,
    "special_equipment": generate_special_equipment,
    "complaints": generate_complaints,
    "air_quality_hourly": generate_air_quality_hourly,
}
INCREMENTAL = [f"int_{feed}__current" for feed in GENERATORS]
KEPT_PERIODS = ("2015-01", "2015-02", "2015-03")  # the monthly slots loaded first
HELD_BACK_PERIOD = "2015-03"  # delivered after the first build: the new delivery
KEPT_DAYS = 6  # air quality: days 2015-01-01 … 06 loaded first, the 6th held back
SCHEMAS = ("staging", "intermediate", "marts")
# models and seeds: the data and unit tests are other tests' business
BUILD = ("build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")


def _period(path: Path, feed_dir: Path) -> str:
    """The slot folder of a generated file (YYYY-MM or YYYY-MM-DD), whatever its source."""
    return path.relative_to(feed_dir).parts[-2]


def _read_csv(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))
        except UnicodeDecodeError:
            continue
    raise AssertionError(f"cannot decode {path}")


def _write_csv(path: Path, rows: list[list[str]], received: datetime) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    stamp(path, received)


def _latest_receipt(folder: Path) -> datetime:
    """The latest receipt time (naive Beijing time, as stamp() takes it) of a slot's files."""
    latest = max(p.stat().st_mtime for p in folder.iterdir())
    return datetime.fromtimestamp(latest, LOCAL_TIME).replace(tzinfo=None)


def _generate(wh: FeedWarehouse, held: Path) -> None:
    """A few slots of each feed in the landing zone; the held-back slot's files in `held`."""
    for feed, generate in GENERATORS.items():
        generate(wh.raw_dir, [2015], scale=0.05, error_rate=0.02)
        feed_dir = wh.raw_dir / load_contract(feed).landing_dir
        days = [f"2015-01-{d:02d}" for d in range(1, KEPT_DAYS + 1)]
        kept, last = (days, days[-1]) if feed == "air_quality_hourly" else (KEPT_PERIODS, None)
        for path in sorted(p for p in feed_dir.rglob("*") if p.is_file()):
            period = _period(path, feed_dir)
            if period not in kept:
                path.unlink()
            elif period == (last or HELD_BACK_PERIOD):
                target = held / path.relative_to(wh.raw_dir)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, target)


def _deliver_corrections(wh: FeedWarehouse, held: Path) -> dict[str, Path]:
    """The held-back slots land (new deliveries), and each feed's longest CSV file of a
    loaded slot is corrected by the first half of its lines (fewer rows, received later); a
    few other kinds of correction besides. Returns the corrected file of each feed."""
    shutil.copytree(held, wh.raw_dir, dirs_exist_ok=True)
    corrected: dict[str, Path] = {}
    for feed in GENERATORS:
        feed_dir = wh.raw_dir / load_contract(feed).landing_dir
        candidates = [
            p for p in feed_dir.rglob("*.csv") if not (held / p.relative_to(wh.raw_dir)).exists()
        ]
        original = max(sorted(candidates), key=lambda p: len(_read_csv(p)))
        rows = _read_csv(original)
        kept = rows[: (len(rows) + 1) // 2]  # the header and title lines, and fewer rows
        path = original.with_name(f"{original.stem}_更正.csv")
        _write_csv(path, kept, _latest_receipt(original.parent) + timedelta(days=1))
        corrected[feed] = path
    # spot checks: another slot corrected to "none" (a header-only file)
    spot_dir = wh.raw_dir / load_contract("spot_checks").landing_dir
    emptied = next(
        p
        for p in sorted(spot_dir.rglob("*.csv"))
        if p.parent != corrected["spot_checks"].parent
        and not (held / p.relative_to(wh.raw_dir)).exists()
    )
    _write_csv(
        emptied.with_name("零报告_更正.csv"),
        _read_csv(emptied)[:1],
        _latest_receipt(emptied.parent) + timedelta(days=1),
    )
    # special equipment: a correction of another layout, rejected, replaces nothing
    se_dir = wh.raw_dir / load_contract("special_equipment").landing_dir
    other = next(
        p for p in sorted(se_dir.rglob("*.*")) if p.parent != corrected["special_equipment"].parent
    )
    _write_csv(
        other.with_name("错误格式_更正.csv"),
        [["甲", "乙"], ["1", "2"]],
        _latest_receipt(other.parent) + timedelta(days=1),
    )
    return corrected


def _tables(path: Path) -> list[tuple[str, str]]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in {SCHEMAS} order by 1, 2"
        ).fetchall()


def _comparable(conn: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> str:
    """The table's columns, a double rounded to 12 significant digits: an aggregate of doubles
    depends on the order rows are summed in (the last bit of an average), and the order of an
    incremental table's rows is not a rebuilt one's."""
    columns = conn.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [catalog, schema, table],
    ).fetchall()
    exprs = [
        f"case when isfinite({name}) and {name} != 0 then round({name}, 12 - "
        f"cast(ceil(log10(abs({name}))) as integer)) else {name} end as {name}"
        if kind in ("DOUBLE", "FLOAT")
        else name
        for name, kind in columns
    ]
    return f"select {', '.join(exprs)} from {catalog}.{schema}.{table}"


def _differences(incremental: Path, full: Path) -> dict[str, tuple[int, int, int]]:
    """Per table whose rows differ: (rows, only in incremental, only in full refresh)."""
    differing = {}
    with duckdb.connect() as conn:
        conn.execute(f"attach '{incremental}' as inc (read_only)")
        conn.execute(f"attach '{full}' as ful (read_only)")
        for schema, table in _tables(full):
            a = _comparable(conn, "inc", schema, table)
            b = _comparable(conn, "ful", schema, table)
            [(rows,)] = conn.execute(f"select count(*) from ful.{schema}.{table}").fetchall()
            [(only_a,)] = conn.execute(f"select count(*) from ({a} except all {b})").fetchall()
            [(only_b,)] = conn.execute(f"select count(*) from ({b} except all {a})").fetchall()
            if only_a or only_b:
                differing[f"{schema}.{table}"] = (rows, only_a, only_b)
    return differing


# A mark no model downstream of the current tables reads (loaded_at stays in them).
CANARY = "interval 1000 years"


def _mark_canaries(wh: FeedWarehouse) -> None:
    """Mark every current row (loaded_at 1000 years on): a row the incremental run writes
    again comes without the mark."""
    with duckdb.connect(str(wh.warehouse)) as conn:
        for model in INCREMENTAL:
            conn.execute(f"update intermediate.{model} set loaded_at = loaded_at + {CANARY}")


def _unmark_canaries(wh: FeedWarehouse) -> dict[str, tuple[int, int]]:
    """Per model (rows still marked, rows written by the incremental run); marks removed."""
    counts = {}
    with duckdb.connect(str(wh.warehouse)) as conn:
        for model in INCREMENTAL:
            table = f"intermediate.{model}"
            [marked] = conn.execute(
                f"select count(*) filter (where year(loaded_at) > 2500), "
                f"count(*) filter (where year(loaded_at) <= 2500) from {table}"
            ).fetchall()
            counts[model] = marked
            conn.execute(
                f"update {table} set loaded_at = loaded_at - {CANARY} where year(loaded_at) > 2500"
            )
    return counts


def test_incremental_build_equals_full_refresh(tmp_path: Path) -> None:
    wh = FeedWarehouse(tmp_path / "incremental")
    held = tmp_path / "held_back"
    _generate(wh, held)
    wh.ensure_sources()
    for feed in GENERATORS:
        wh.ingest(feed)
    first = run_dbt(wh.workdir, wh.env, *BUILD)
    assert first.returncode == 0, first.stdout[-6000:]
    rows_before = {m: wh.query(f"select count(*) from intermediate.{m}")[0][0] for m in INCREMENTAL}
    _mark_canaries(wh)

    corrected = _deliver_corrections(wh, held)
    reports = {feed: wh.ingest(feed) for feed in GENERATORS}
    statuses = {
        (r.feed, r.source_file.rsplit("/", 1)[-1], r.status) for rs in reports.values() for r in rs
    }
    assert ("special_equipment", "错误格式_更正.csv", "rejected") in statuses
    assert ("spot_checks", "零报告_更正.csv", "loaded") in statuses
    incremental = run_dbt(wh.workdir, wh.env, *BUILD)
    assert incremental.returncode == 0, incremental.stdout[-6000:]
    for model in INCREMENTAL:
        assert "incremental model intermediate." + model in incremental.stdout
    # rows of the slots that received nothing were not rewritten (they keep their mark); the
    # new and corrected deliveries' rows were written; the replaced rows are gone
    written = {}
    for model, (kept, new) in _unmark_canaries(wh).items():
        assert 0 < kept < rows_before[model] and new > 0, model
        written[model] = new

    full = FeedWarehouse(tmp_path / "full")
    full.warehouse.parent.mkdir(parents=True)
    shutil.copy(wh.warehouse, full.warehouse)
    rebuilt = run_dbt(full.workdir, full.env, *BUILD, "--full-refresh")
    assert rebuilt.returncode == 0, rebuilt.stdout[-6000:]

    tables = _tables(full.warehouse)
    assert {t for _, t in tables} >= {*INCREMENTAL, "fct_kpi_values", "stg_raw__spot_checks"}
    assert _tables(wh.warehouse) == tables
    assert _differences(wh.warehouse, full.warehouse) == {}

    # the corrections took effect: the corrected files are current, with fewer rows; the new
    # rows are the rows of the corrected and newly delivered files only
    for feed, path in corrected.items():
        name = path.relative_to(wh.raw_dir).as_posix()
        [(rows,)] = wh.query(
            f"select count(*) from intermediate.int_{feed}__current where source_file = ?", [name]
        )
        assert 0 < rows < written[f"int_{feed}__current"], name
