"""DuckDB single-writer policy: two overlapping runs of the main job with Dagster's default
(multiprocess) executor, as a schedule overlapping a manual run, both succeed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance

from orchestration import settings
from orchestration.sample_data.spot_checks import generate_spot_checks
from orchestration.settings import PROJECT_ROOT

DAGSTER = str(Path(sys.executable).with_name("dagster"))


def test_overlapping_runs_wait_for_the_pool_instead_of_failing(tmp_path: Path) -> None:
    overrides = settings.environment_for(tmp_path)
    home = Path(overrides["DAGSTER_HOME"])
    settings.prepare_dagster_home(home)
    env = {**os.environ, **overrides}
    env.pop("LQ_PUBLISHED", None)
    generate_spot_checks(tmp_path / "raw", [2015], scale=0.05, error_rate=0.01)
    command = [DAGSTER, "job", "execute", "-m", "orchestration.definitions", "-j", "refresh_all"]
    logs = [tmp_path / "run1.log", tmp_path / "run2.log"]
    runs = []
    for log in logs:
        runs.append(
            subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
            )
        )
        time.sleep(2)  # the second run starts while the first is ingesting
    codes = [run.wait(timeout=400) for run in runs]
    texts = [log.read_text() for log in logs]
    for code, text in zip(codes, texts, strict=True):
        assert code == 0, text[-3000:]
        assert "RUN_SUCCESS" in text
        assert "Conflicting lock" not in text and "Could not set lock" not in text
    # Success alone could be luck or retries: the pool must also have kept every step of one
    # run from executing while a step of the other run held the warehouse.
    intervals = _step_intervals(home)
    assert len(intervals) == 2 and all(intervals.values())
    first, second = intervals.values()
    for step_a, start_a, end_a in first:
        for step_b, start_b, end_b in second:
            assert end_a <= start_b or end_b <= start_a, (step_a, step_b)


def _step_intervals(home: Path) -> dict[str, list[tuple[str, float, float]]]:
    """(step, start, end) of every executed step, per run, from the shared instance."""
    instance = DagsterInstance.from_config(str(home))
    try:
        result = {}
        for run in instance.get_runs():
            starts: dict[str, float] = {}
            spans = []
            for record in instance.all_logs(run.run_id):
                event = record.dagster_event
                if event is None or event.step_key is None:
                    continue
                if event.event_type == DagsterEventType.STEP_START:
                    starts[event.step_key] = record.timestamp
                elif event.event_type in (
                    DagsterEventType.STEP_SUCCESS,
                    DagsterEventType.STEP_FAILURE,
                ):
                    spans.append((event.step_key, starts[event.step_key], record.timestamp))
            result[run.run_id] = spans
        return result
    finally:
        instance.dispose()
