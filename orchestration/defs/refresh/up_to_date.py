"""Whether a refresh would find anything to do, decided before a run is started.

A successful `refresh_all` run carries two tags: `lq/inputs`, the digest of the landed files
and the code it started from, and `lq/outputs`, the digest of the warehouse and the
publication it left (orchestration/refresh_fingerprint.py). When the newest such run has the
inputs and outputs of now, a new run would build, publish and export nothing: the daily
schedule skips with that reason (Dagster UI: the schedule's ticks), the new-deliveries sensor
asks for no run, and `python -m orchestration.launch refresh_all` says so and exits.

Anything else launches a run, which plans from Dagster's data and code versions what to
build (defs/transform/changes.py): a new or corrected delivery, a changed model, seed,
contract or code, a warehouse written by another job, a killed or failed run (it never
records its outputs), or a file that was still settling."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from orchestration import refresh_fingerprint

REFRESH_JOB = "refresh_all"
INPUTS_TAG, OUTPUTS_TAG = "lq/inputs", "lq/outputs"


@dataclass(frozen=True)
class Decision:
    up_to_date: bool
    why: str
    tags: dict[str, str] = field(default_factory=dict)  # for the run to launch


def decide(instance: DagsterInstance) -> Decision:
    now = refresh_fingerprint.inputs()
    tags = {INPUTS_TAG: now.digest}
    settling = (
        f"; {now.files_settling} file(s) still being written are left for the next run"
        if now.files_settling
        else ""
    )
    records = instance.get_run_records(
        RunsFilter(
            job_name=REFRESH_JOB,
            statuses=[DagsterRunStatus.SUCCESS],
            tags={INPUTS_TAG: now.digest},
        ),
        limit=1,
    )
    if not records:
        return Decision(False, "new or changed deliveries, submissions or code" + settling, tags)
    run = records[0].dagster_run
    if run.tags.get(OUTPUTS_TAG) != refresh_fingerprint.outputs():
        return Decision(
            False,
            f"the warehouse or the publication changed since run {run.run_id[:8]}",
            tags,
        )
    ended = records[0].end_time
    when = datetime.fromtimestamp(ended, UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if ended else "?"
    return Decision(
        True,
        f"nothing new since run {run.run_id[:8]} ({when}): no new or changed delivery "
        f"({now.files_ready} files ready), submission, model, seed, contract or code, and the "
        f"warehouse and publication are as that run left them{settling}",
        tags,
    )


def record_outputs(instance: DagsterInstance, run_id: str) -> None:
    """Called by the last step of a refresh that started from known inputs, once everything
    it writes is closed: what the run left."""
    instance.add_run_tags(run_id, {OUTPUTS_TAG: refresh_fingerprint.outputs()})
