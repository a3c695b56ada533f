"""The instance's event log (dagster.yaml): Dagster's SQLite files, written with pooled
connections, read back by the stock storage, with a bounded number of files held open."""

from __future__ import annotations

import time
from pathlib import Path

from dagster import AssetKey, DagsterInstance
from dagster._core.events import AssetMaterializationPlannedData, DagsterEvent, DagsterEventType
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from orchestration import settings
from orchestration.event_log_storage import RUN_SHARDS_KEPT, PooledSqliteEventLogStorage


def _planned(run_id: str, name: str) -> EventLogEntry:
    return EventLogEntry(
        error_info=None,
        level=10,
        user_message="",
        run_id=run_id,
        timestamp=time.time(),
        step_key=None,
        job_name="refresh_all",
        dagster_event=DagsterEvent(
            DagsterEventType.ASSET_MATERIALIZATION_PLANNED.value,
            "refresh_all",
            event_specific_data=AssetMaterializationPlannedData(AssetKey(["raw", name])),
        ),
    )


def test_events_are_dagsters_own_files_and_few_stay_open(tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    settings.prepare_dagster_home(home)
    with DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        run_ids = [f"run-{n}" for n in range(RUN_SHARDS_KEPT + 3)]
        for run_id in run_ids:
            instance.add_run(DagsterRun(job_name="refresh_all", run_id=run_id))
            for name in ("sewage", "spot_checks"):
                storage.store_event(_planned(run_id, name))
        assert len(storage._engines) <= RUN_SHARDS_KEPT + 1  # the index and the newest runs
        # the pool slots live in the same index
        storage.initialize_concurrency_limit_to_default("duckdb")
        assert storage.claim_concurrency_slot("duckdb", "run-0", "step").is_claimed

    # the stock storage reads what was written, in a fresh instance as a webserver would
    stock = SqliteEventLogStorage(str(home / "history" / "runs"))
    for run_id in run_ids:
        logs = stock.get_logs_for_run(run_id)
        planned = [e.dagster_event.event_specific_data.asset_key for e in logs]  # type: ignore[union-attr]
        assert planned == [AssetKey(["raw", "sewage"]), AssetKey(["raw", "spot_checks"])]
    assert stock.get_latest_planned_materialization_info(AssetKey(["raw", "sewage"])) is not None
    stock.dispose()
