"""Hand-made deliveries of a feed, loaded by the real loader and built by the real dbt into a
DuckDB file in a temporary folder. Tests write the files themselves (never with the sample
generators), so what they assert is computed independently of the code under test."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetKey

from orchestration import settings
from orchestration.ingest.contract import feed_names, load_contract
from orchestration.ingest.landing import LOCAL_TIME
from orchestration.ingest.loader import FileReport, ensure_tables, ingest_landed
from orchestration.submissions.store import ensure_submission_tables
from sample_data.excel_layouts import HeaderCell, write_table_xlsx

DBT = str(Path(sys.executable).with_name("dbt"))

# The warehouse below a workdir, as dbt sees it when it runs in that workdir. Relative, so the
# connection details (which dbt hashes into its saved parse) are the same in every workdir.
_WAREHOUSE_IN_WORKDIR = Path("warehouse") / "langfang_quality.duckdb"
# dbt's saved parse of the project (partial_parse.msgpack), by the --vars it was parsed with:
# the session's first run parses the whole project (≈ 10 s), later runs copy it and only read it.
_SAVED_PARSES: dict[str, Path] = {}


def run_dbt(workdir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """The real dbt CLI on the project, run in `workdir` with target and logs kept there.

    A new target folder starts from the session's saved parse of the project for the same
    --vars; dbt itself checks that the parse still fits (project files, vars, connection) and
    parses again whatever does not, so this only saves time."""
    env = dict(env)
    if Path(env["LQ_WAREHOUSE"]) == workdir / _WAREHOUSE_IN_WORKDIR:
        env["LQ_WAREHOUSE"] = str(_WAREHOUSE_IN_WORKDIR)
    target = workdir / "dbt_target"
    saved = target / "partial_parse.msgpack"
    dbt_vars = args[args.index("--vars") + 1] if "--vars" in args else ""
    if dbt_vars in _SAVED_PARSES and not saved.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_SAVED_PARSES[dbt_vars], saved)
    command = [
        DBT,
        *args,
        "--project-dir",
        str(settings.DBT_PROJECT_DIR),
        "--profiles-dir",
        str(settings.DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(workdir / "dbt_logs"),
    ]
    result = subprocess.run(
        command, env=env, cwd=workdir, capture_output=True, text=True, check=False
    )
    if dbt_vars not in _SAVED_PARSES and result.returncode == 0 and saved.exists():
        keep = Path(tempfile.mkdtemp(prefix="lq-dbt-parse-")) / saved.name
        shutil.copyfile(saved, keep)
        _SAVED_PARSES[dbt_vars] = keep
    return result


def stamp(path: Path, received: datetime) -> None:
    """Set a file's receipt time (naive Beijing time) as its modification time."""
    epoch = received.replace(tzinfo=LOCAL_TIME).timestamp()
    os.utime(path, (epoch, epoch))


def _csv_header(header: Sequence[str | HeaderCell]) -> list[list[str]]:
    """One header row, or two as a merged header exports to CSV: a group name over its first
    sub-column only, single columns blank in the second row."""
    cells = [h if isinstance(h, tuple) else (h, None) for h in header]
    if all(sub is None for _, sub in cells):
        return [[top for top, _ in cells]]
    tops = [top if i == 0 or cells[i - 1][0] != top else "" for i, (top, _) in enumerate(cells)]
    return [tops, [sub or "" for _, sub in cells]]


@dataclass(frozen=True)
class FeedWarehouse:
    """A private landing zone, file store and warehouse below `workdir`."""

    workdir: Path

    @property
    def raw_dir(self) -> Path:
        return self.workdir / "raw"

    @property
    def store_dir(self) -> Path:
        return self.workdir / "store"

    @property
    def warehouse(self) -> Path:
        return Path(self.env["LQ_WAREHOUSE"])

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, **settings.environment_for(self.workdir)}

    def deliver(
        self,
        feed: str,
        slot: str,
        name: str,
        header: Sequence[str | HeaderCell],
        rows: Sequence[Sequence[Any]],
        *,
        encoding: str = "utf-8",
        received: datetime | None = None,
        title: str | None = None,
    ) -> Path:
        """Write raw/<landing_dir>/<slot>/<name>: CSV in `encoding`, or xlsx when the name ends
        in .xlsx (optional merged `title` row; (top, sub) header cells make a two-row header).
        `received` (Beijing time) becomes the file's modification time."""
        path = self.raw_dir / load_contract(feed).landing_dir / slot / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".xlsx":
            cells = [h if isinstance(h, tuple) else (h, None) for h in header]
            write_table_xlsx(path, "Sheet1", title, cells, rows)
        else:
            buffer = io.StringIO(newline="")
            writer = csv.writer(buffer)
            writer.writerows(_csv_header(header))
            writer.writerows([["" if v is None else v for v in row] for row in rows])
            path.write_bytes(buffer.getvalue().encode(encoding))
        if received is not None:
            stamp(path, received)
        return path

    def ingest(self, feed: str) -> list[FileReport]:
        """Load every new file of the feed with the real loader (no settle time)."""
        self.warehouse.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(self.warehouse)) as conn:
            return ingest_landed(conn, load_contract(feed), self.raw_dir, self.store_dir, 0).reports

    def ensure_sources(self) -> None:
        """Every raw table dbt reads (empty until loaded): each feed's, the bookkeeping tables
        and the submission tables (the marts union every KPI model)."""
        self.warehouse.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(self.warehouse)) as conn:
            for feed in feed_names():
                ensure_tables(conn, load_contract(feed))
            ensure_submission_tables(conn)

    def build(
        self,
        *models: str,
        dbt_vars: dict[str, object] | None = None,
        seed_tests: bool = False,
        unit_tests: bool = False,
    ) -> str:
        """`dbt build` of the seeds and of `models` with everything upstream of them, and the
        data tests of the selected models; fails the test with dbt's output when dbt fails.
        Returns dbt's output. Left out unless asked for: the data tests of the seeds (fixed
        reference data: the pipeline's build tests them once a session) and dbt's unit tests
        (tests/test_dbt_unit_tests.py runs them all once)."""
        self.ensure_sources()
        select = " ".join(["resource_type:seed", *(f"+{m}" for m in models)])
        args = ["build", "--select", select, "--indirect-selection", "buildable"]
        if not seed_tests:
            args += ["--exclude", "resource_type:test,path:seeds"]
        if not unit_tests:
            args += ["--exclude-resource-type", "unit_test"]
        if dbt_vars:
            args += ["--vars", json.dumps(dbt_vars)]
        result = run_dbt(self.workdir, self.env, *args)
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
        return result.stdout

    def query(self, sql: str, params: Sequence[object] | None = None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as conn:
            return conn.execute(sql, list(params or [])).fetchall()

    def records(self, sql: str, params: Sequence[object] | None = None) -> list[dict[str, Any]]:
        with duckdb.connect(str(self.warehouse), read_only=True) as conn:
            cursor = conn.execute(sql, list(params or []))
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# A quarantine reason starts with the cell (D7) or, for a row-level problem, the row.
CELL_OR_ROW = r"^([A-Z]+\d+|row \d+): "


def injected_kinds(
    reasons: Sequence[str], signs: dict[str, str], starts: str = CELL_OR_ROW
) -> Counter[str]:
    """The injected mistake behind each quarantine reason, by kind (`signs`: kind → a text
    only its reason contains); each reason names its cell and shows exactly one kind."""
    kinds: Counter[str] = Counter()
    for reason in reasons:
        [kind] = [k for k, sign in signs.items() if sign in reason]
        assert ";" not in reason and re.match(starts, reason), reason
        kinds[kind] += 1
    return kinds


def assert_gx_check_passed(result: Any, warehouse: Path, staged_model: str) -> None:
    """The blocking GX check of a staged model passed in a pipeline run, on every staged row."""
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    gx = evaluations[f"gx_{staged_model}"]
    assert gx.passed
    assert gx.asset_key == AssetKey(["staging", staged_model])
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        staged = conn.execute(f"select count(*) from staging.{staged_model}").fetchall()[0][0]
    assert gx.metadata["rows_validated"].value == staged > 0
