"""The in-process launcher: a run killed with its pool slot does not block the next run, and a
refresh starts only when something is new."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    RunRequest,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
)

from orchestration import refresh_fingerprint, settings
from orchestration.defs.refresh.jobs import daily_refresh_schedule, new_deliveries_sensor
from orchestration.defs.refresh.up_to_date import INPUTS_TAG, OUTPUTS_TAG, REFRESH_JOB, decide
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


def _succeeded(instance: DagsterInstance, tags: dict[str, str]) -> None:
    instance.add_run(
        DagsterRun(
            job_name=REFRESH_JOB,
            run_id=f"run-{len(instance.get_runs())}",
            status=DagsterRunStatus.SUCCESS,
            tags=tags,
        )
    )


def test_a_refresh_is_launched_only_when_something_is_new(isolated_env: Path) -> None:
    raw = isolated_env / "raw"
    (raw / "sewage" / "2016-03").mkdir(parents=True)
    (raw / "sewage" / "2016-03" / "污水处理.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    warehouse = settings.warehouse_path()
    warehouse.parent.mkdir(parents=True)
    warehouse.write_bytes(b"a warehouse")
    home = isolated_env / "dagster_home"
    settings.prepare_dagster_home(home)
    with DagsterInstance.from_config(str(home)) as instance:
        first = decide(instance)
        assert not first.up_to_date  # never refreshed
        _succeeded(instance, {**first.tags, OUTPUTS_TAG: refresh_fingerprint.outputs()})
        assert decide(instance).up_to_date
        assert "nothing new since run run-0" in decide(instance).why
        # the daily schedule and the sensor skip with that reason (their ticks in the UI)
        skipped = daily_refresh_schedule(build_schedule_context(instance=instance))
        assert isinstance(skipped, SkipReason)
        assert "nothing new since run run-0" in (skipped.skip_message or "")

        # a new delivery
        (raw / "sewage" / "2016-04").mkdir()
        (raw / "sewage" / "2016-04" / "污水处理.csv").write_text("a,b\n1,3\n", encoding="utf-8")
        second = decide(instance)
        assert not second.up_to_date and second.tags != first.tags
        assert second.changed_parts == {"sewage"}  # a run may take that feed alone
        request = new_deliveries_sensor(build_sensor_context(instance=instance))
        assert isinstance(request, RunRequest)
        assert request.run_key == second.tags[INPUTS_TAG] and request.tags == second.tags
        _succeeded(instance, {**second.tags, OUTPUTS_TAG: refresh_fingerprint.outputs()})
        assert decide(instance).up_to_date

        # the warehouse written by something else (another job, a manual dbt run)
        warehouse.write_bytes(b"a warehouse, changed")
        written = decide(instance)
        assert "the warehouse or the publication changed" in written.why
        assert written.changed_parts is None  # anything may have changed: everything runs
        _succeeded(instance, {**second.tags, OUTPUTS_TAG: refresh_fingerprint.outputs()})
        assert decide(instance).up_to_date

        # a deleted workbook of the publication
        exports = settings.exports_dir()
        exports.mkdir(parents=True)
        (exports / "langfang_assessment_2016_v1.xlsx").write_bytes(b"x")
        assert not decide(instance).up_to_date


def test_the_inputs_digest_follows_deliveries_and_code(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = isolated_env / "raw"
    code = isolated_env / "code"
    (code / "models").mkdir(parents=True)
    (code / "models" / "m.sql").write_text("select 1", encoding="utf-8")
    (code / "target").mkdir()
    before = refresh_fingerprint.inputs(roots=[code])

    (code / "target" / "manifest.json").write_text("{}", encoding="utf-8")  # generated
    assert refresh_fingerprint.inputs(roots=[code]) == before
    (code / "models" / "m.sql").write_text("select 2", encoding="utf-8")
    changed_code = refresh_fingerprint.inputs(roots=[code])
    assert changed_code.digest != before.digest

    # a file still being written is left out, and counted, until it is ready
    monkeypatch.setenv("LQ_SETTLE_SECONDS", "60")
    (raw / "spot_checks").mkdir()
    landing = raw / "spot_checks" / "抽检.csv"
    landing.write_text("a\n", encoding="utf-8")
    settling = refresh_fingerprint.inputs(roots=[code])
    assert (settling.digest, settling.files_settling) == (changed_code.digest, 1)
    later = refresh_fingerprint.inputs(now=time.time() + 120, roots=[code])
    assert later.files_ready == 1 and later.digest != changed_code.digest

    # a symbolic link is never read, so it is not an input either
    (raw / "spot_checks" / "link.csv").symlink_to(landing)
    assert refresh_fingerprint.inputs(now=time.time() + 120, roots=[code]) == later

    # content replaced in place, with the same size and the old modification time
    stat = landing.stat()
    landing.write_text("b\n", encoding="utf-8")
    os.utime(landing, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert landing.stat().st_mtime_ns == stat.st_mtime_ns
    assert refresh_fingerprint.inputs(now=time.time() + 120, roots=[code]) != later


def test_a_refresh_of_changed_feeds_takes_them_and_what_is_built_from_them() -> None:
    from orchestration.defs.exports.assets import EXPORT_KEY
    from orchestration.defs.publication.assets import PUBLISHED_KEY
    from orchestration.defs.refresh.selection import refresh_selection
    from orchestration.defs.submissions.assets import SUBMISSION_KEYS
    from orchestration.defs.transform.manifest import STATE_KEY

    def names(keys: list[AssetKey]) -> set[str]:
        return {key.path[-1] for key in keys}

    sewage = refresh_selection({"sewage"})
    assert sewage is not None
    assert {STATE_KEY, PUBLISHED_KEY, EXPORT_KEY, AssetKey(["raw", "sewage"])} <= set(sewage)
    assert {"stg_raw__sewage", "int_sewage__current", "fct_kpi_facts"} <= names(sewage)
    assert "stg_raw__ingested_files" in names(sewage)  # the bookkeeping of its deliveries
    # not another feed's ingestion, staging or current rows
    assert not {"air_quality_hourly", "stg_raw__air_quality_hourly"} & names(sewage)
    assert "int_air_quality_hourly__current" not in names(sewage)

    both = refresh_selection({"sewage", "submissions"})
    assert both is not None and set(SUBMISSION_KEYS) <= set(both)
    assert "fct_submission_versions" in names(both)
    # a folder that is no feed's: everything
    assert refresh_selection({"sewage", "misdelivered"}) is None
