"""The submission sensor: one run per new workbook in raw/submissions/.

The run key is the file's sha256, so Dagster launches one run per content however often
the file is dropped or renamed. The sensor never opens the warehouse (the runs are its only
writer); it watches inode change times so each tick hashes only files that changed, and it
asks for no run when the content is already in the file store (the bulk path took it; a file
whose processing crashed after being stored is retried by the daily bulk run)."""

from collections.abc import Iterator

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from orchestration import settings
from orchestration.assets.submissions import INTAKE_OP, config_name
from orchestration.ingest.file_names import display_path
from orchestration.ingest.file_store import sha256_of, stored_path
from orchestration.jobs import submission_intake_job
from orchestration.submissions.landing import scan


def _next_cursor(previous: int, ready_ctimes: list[int], settling_ctimes: list[int]) -> int:
    """Advance past what was seen, but never past a file still settling (it comes back)."""
    cursor = max([previous, *ready_ctimes])
    if settling_ctimes:
        cursor = min(cursor, min(settling_ctimes) - 1)
    return max(cursor, previous)


@sensor(
    job=submission_intake_job,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Starts one submission_intake run per new workbook in raw/submissions/ "
    "(run key = sha256 of the content).",
)
def submission_sensor(context: SensorEvaluationContext) -> Iterator[RunRequest | SkipReason]:
    raw_dir = settings.raw_dir()
    previous = int(context.cursor or 0)
    landing = scan(raw_dir, settings.settle_seconds(), changed_after_ns=previous)
    requested: set[str] = set()
    known = 0
    for path in landing.ready:
        sha256 = sha256_of(path)
        if sha256 in requested:  # the same content twice in one tick: one run
            continue
        if stored_path(settings.file_store_dir(), sha256, path.suffix).exists():
            known += 1
            continue
        requested.add(sha256)
        name = path.relative_to(raw_dir).as_posix()
        yield RunRequest(
            run_key=f"submission-{sha256}",
            run_config={"ops": {INTAKE_OP: {"config": {"files": [config_name(name)]}}}},
            tags={"lq/source_file": display_path(name)[:200], "lq/sha256": sha256},
        )
    cursor = _next_cursor(
        previous,
        [p.lstat().st_ctime_ns for p in landing.ready],
        [p.lstat().st_ctime_ns for p in landing.settling],
    )
    context.update_cursor(str(cursor))
    if not requested:
        waiting = f"; {len(landing.settling)} still being written" if landing.settling else ""
        seen = f"; {known} already in the file store" if known else ""
        yield SkipReason(f"no new workbooks in raw/submissions/{waiting}{seen}")
