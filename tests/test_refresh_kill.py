"""`kill -9` in the middle of the daily refresh, then a plain re-run: the warehouse and the
published file end identical to an uninterrupted run's, with nothing loaded twice, no version
an uninterrupted run would not make, and no leftover file.

Each run is a real `python -m orchestration.launch refresh_all` in a child process (real
Dagster instance on disk, real DuckDB, dbt and GX), killed by SIGKILL at a named crash point
(orchestration/crash_points.py). All runs use the same folders, restored from snapshots
between scenarios, so absolute paths stored in the tables are the same."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration import settings
from sample_data.__main__ import GENERATORS

pytestmark = pytest.mark.slow

# When a row was loaded or published differs between two runs by design.
RUN_TIME_COLUMNS = {
    "ingested_at",
    "ingested_at_beijing",
    "_loaded_at",
    "loaded_at",
    "quarantined_at",
    "published_at",
}
YEAR = 2015
SCALE = 0.05


def _refresh(work: Path, crash_at: str | None = None, *options: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **settings.environment_for(work), "LQ_SETTLE_SECONDS": "0"}
    env.pop("LQ_CRASH_AT", None)
    if crash_at:
        env["LQ_CRASH_AT"] = crash_at
    return subprocess.run(
        [sys.executable, "-m", "orchestration.launch", "refresh_all", *options],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


def _tables(database: Path) -> dict[str, list[tuple]]:
    """Every table and view, rows sorted, run-time columns left out."""
    result: dict[str, list[tuple]] = {}
    with duckdb.connect(str(database), read_only=True) as conn:
        relations = conn.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() order by 1, 2"
        ).fetchall()
        for schema, name in relations:
            columns = [
                (c, t)
                for c, t in conn.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, name],
                ).fetchall()
                if c not in RUN_TIME_COLUMNS
            ]
            # a sum of doubles depends on row order, which incremental tables do not keep
            select = ", ".join(
                f"printf('%.12g', \"{c}\")"
                if t in ("DOUBLE", "FLOAT")
                else f'cast("{c}" as varchar)'
                for c, t in columns
            )
            rows = conn.execute(f'select {select} from "{schema}"."{name}"').fetchall()
            result[f"{schema}.{name}"] = sorted(rows, key=repr)
    return result


def _leftovers(work: Path) -> list[Path]:
    data = work / "warehouse"
    return [
        p
        for p in data.rglob("*")
        if p.name.endswith((".partial", ".wal", ".tmp")) or ".partial" in p.name
    ]


def _state(work: Path) -> tuple[dict, dict]:
    data = work / "warehouse"
    return _tables(data / "langfang_quality.duckdb"), _tables(
        data / "published" / "assessment.duckdb"
    )


def _restore(snapshot: Path, work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(snapshot, work, symlinks=True)


def _new_delivery(raw: Path, month: Path) -> None:
    """A new delivery slot, copied with its modification time (its receipt time)."""
    shutil.copytree(month, raw / "sewage" / month.name)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Snapshots: the raw deliveries alone; after an uninterrupted first run; after an
    uninterrupted incremental run on one new delivery."""
    root = tmp_path_factory.mktemp("kill")
    work = root / "work"
    raw = work / "raw"
    raw.mkdir(parents=True)
    for feed, generate in GENERATORS.items():
        if feed == "submissions":
            generate(raw, (YEAR,), error_rate=0.05)
        else:
            generate(raw, (YEAR,), scale=SCALE, error_rate=0.02)
    settings.prepare_dagster_home(work / "dagster_home")
    # one month of sewage of the next year: the new delivery of the incremental runs
    GENERATORS["sewage"](root / "next", (YEAR + 1,), scale=SCALE, error_rate=0.0)
    snapshots = {"delivered": root / "delivered"}
    snapshots["next_month"] = sorted((root / "next" / "sewage").glob(f"{YEAR + 1}-01*"))[0]
    shutil.copytree(work, snapshots["delivered"], symlinks=True)

    first = _refresh(work)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    snapshots["first"] = root / "first"
    shutil.copytree(work, snapshots["first"], symlinks=True)
    # nothing new: no run is started, and the launcher says why
    again = _refresh(work)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "up to date, no run started: nothing new since run" in again.stdout

    _new_delivery(raw, snapshots["next_month"])
    second = _refresh(work)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    snapshots["incremental"] = root / "incremental"
    shutil.copytree(work, snapshots["incremental"], symlinks=True)
    snapshots["work"] = work
    return snapshots


def _killed_then_rerun(work: Path, point: str) -> None:
    killed = _refresh(work, crash_at=point)
    assert killed.returncode == -signal.SIGKILL, (point, killed.stdout[-2000:])
    rerun = _refresh(work)
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]


def test_killed_while_ingesting_the_first_deliveries(runs: dict[str, Path]) -> None:
    work = runs["work"]
    _restore(runs["delivered"], work)
    _killed_then_rerun(work, "ingestion:after_load")
    assert _state(work) == _state(runs["first"])
    assert not _leftovers(work)


@pytest.mark.parametrize(
    "point",
    [
        "transform:after_dbt",  # the models rebuilt, nothing recorded
        "transform:recording",  # part of the materialisations recorded
        "publication.parquet_writing",  # the new version half written
    ],
)
def test_killed_during_an_incremental_run(runs: dict[str, Path], point: str) -> None:
    work = runs["work"]
    _restore(runs["first"], work)
    _new_delivery(work / "raw", runs["next_month"])
    _killed_then_rerun(work, point)
    warehouse, published = _state(work)
    expected_warehouse, expected_published = _state(runs["incremental"])
    assert warehouse == expected_warehouse
    assert published == expected_published
    assert not _leftovers(work)
    # nothing loaded twice: one ingested_files row per delivered file and feed
    with duckdb.connect(str(work / "warehouse" / "langfang_quality.duckdb"), read_only=True) as c:
        assert c.execute(
            "select count(*) - count(distinct (feed, sha256)) from raw.ingested_files"
        ).fetchone() == (0,)


def test_an_incremental_run_equals_a_full_rebuild(runs: dict[str, Path]) -> None:
    # The incremental run rebuilt only the sewage feed's models and what reads them (the
    # delivery bookkeeping is scoped per feed): a full rebuild from the raw tables agrees.
    work = runs["work"]
    _restore(runs["incremental"], work)
    full = _refresh(work, None, "--full-rebuild")
    assert full.returncode == 0, full.stdout[-3000:] + full.stderr[-3000:]
    assert _state(work)[0] == _state(runs["incremental"])[0]
