"""The in-process launcher: a run killed with its pool slot does not block the next run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from dagster import DagsterInstance, DagsterRun, DagsterRunStatus

from orchestration import settings
from orchestration.launch import HOST_TAG, PID_TAG, recover_killed_runs


def _dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(child.stdout)


def test_a_killed_runs_pool_slot_is_freed_at_the_next_launch(tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    settings.prepare_dagster_home(home)
    with DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        storage.initialize_concurrency_limit_to_default("duckdb")
        host = socket.gethostname()
        runs = {
            "killed": {PID_TAG: str(_dead_pid()), HOST_TAG: host},
            "alive": {PID_TAG: str(os.getpid()), HOST_TAG: host},
            "elsewhere": {PID_TAG: str(_dead_pid()), HOST_TAG: "another-host"},
        }
        for name, tags in runs.items():
            instance.add_run(
                DagsterRun(
                    job_name="refresh_all",
                    run_id=f"{name}-run",
                    status=DagsterRunStatus.STARTED,
                    tags=tags,
                )
            )
        claim = storage.claim_concurrency_slot("duckdb", "killed-run", "warehouse_models")
        assert claim.is_claimed
        assert storage.get_concurrency_info("duckdb").active_slot_count == 1

        assert recover_killed_runs(instance) == ["killed-run"]

        assert storage.get_concurrency_info("duckdb").active_slot_count == 0
        status = {r.run_id: r.status for r in instance.get_runs()}
        assert status == {
            "killed-run": DagsterRunStatus.FAILURE,
            "alive-run": DagsterRunStatus.STARTED,
            "elsewhere-run": DagsterRunStatus.STARTED,
        }
