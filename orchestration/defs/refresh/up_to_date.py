"""Whether a refresh would find anything to do, decided before a run is started.

A successful `refresh_all` run carries three tags: `lq/inputs` and `lq/inputs_by_part`, the
digests of what it started from (each landing folder's ready files, and the code), and
`lq/outputs`, the digest of the warehouse and the publication it left
(orchestration/refresh_fingerprint.py). Compared with the newest such run:

* same inputs, same outputs: a new run would build, publish and export nothing. The daily
  schedule skips with that reason (Dagster UI: the schedule's ticks), the new-deliveries
  sensor asks for no run, and `python -m orchestration.launch refresh_all` says so and exits;
* only landing folders changed: the run can take just those feeds and what is built from
  them (selection.py), since everything else was up to date when that run succeeded;
* anything else (changed code, a warehouse written by another job, a killed or failed run
  that wrote before dying, no such run yet): a run of everything, which plans from Dagster's
  data and code versions what to build (defs/transform/changes.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter

from orchestration import refresh_fingerprint

REFRESH_JOB = "refresh_all"
INPUTS_TAG, PARTS_TAG, OUTPUTS_TAG = "lq/inputs", "lq/inputs_by_part", "lq/outputs"


@dataclass(frozen=True)
class Decision:
    up_to_date: bool
    why: str
    tags: dict[str, str] = field(default_factory=dict)  # for the run to launch
    # The landing folders that changed since the last refresh when nothing else did (a run
    # may take only those feeds); None when anything may have changed.
    changed_parts: frozenset[str] | None = None


def decide(instance: DagsterInstance) -> Decision:
    now = refresh_fingerprint.inputs()
    tags = {INPUTS_TAG: now.digest, PARTS_TAG: json.dumps(now.parts, ensure_ascii=False)}
    settling = (
        f"; {now.files_settling} file(s) still being written are left for the next run"
        if now.files_settling
        else ""
    )
    last = _last_refresh(instance)
    if last is None:
        return Decision(False, "no refresh has completed yet" + settling, tags)
    run, ended = last
    if run.tags.get(OUTPUTS_TAG) != refresh_fingerprint.outputs():
        return Decision(
            False, f"the warehouse or the publication changed since run {run.run_id[:8]}", tags
        )
    before = json.loads(run.tags.get(PARTS_TAG, "{}"))
    changed = frozenset(
        p for p in set(now.parts) | set(before) if now.parts.get(p) != before.get(p)
    )
    if changed:
        named = ", ".join(sorted(p or "raw/" for p in changed))
        return Decision(
            False, f"changed since run {run.run_id[:8]}: {named}{settling}", tags, changed
        )
    when = datetime.fromtimestamp(ended, UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if ended else "?"
    return Decision(
        True,
        f"nothing new since run {run.run_id[:8]} ({when}): no new or changed delivery "
        f"({now.files_ready} files ready), submission, model, seed, contract or code, and the "
        f"warehouse and publication are as that run left them{settling}",
        tags,
        frozenset(),
    )


def _last_refresh(instance: DagsterInstance) -> tuple[DagsterRun, float | None] | None:
    """The newest successful refresh that recorded what it started from and what it left."""
    records = instance.get_run_records(
        RunsFilter(job_name=REFRESH_JOB, statuses=[DagsterRunStatus.SUCCESS]), limit=20
    )
    for record in records:
        if OUTPUTS_TAG in record.dagster_run.tags and PARTS_TAG in record.dagster_run.tags:
            return record.dagster_run, record.end_time
    return None


def record_outputs(instance: DagsterInstance, run_id: str) -> None:
    """Called by the last step of a refresh that started from known inputs, once everything
    it writes is closed: what the run left."""
    instance.add_run_tags(run_id, {OUTPUTS_TAG: refresh_fingerprint.outputs()})
