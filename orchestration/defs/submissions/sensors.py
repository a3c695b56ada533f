"""The submission sensor: one run per new workbook in raw/submissions/.

The run key is the file's sha256, so Dagster launches one run per content however often
the file is dropped or renamed. The sensor never opens the warehouse (the runs are its only
writer); it watches inode change times so each tick hashes only files that changed, and it
asks for no run when the content is already in the file store (the bulk path took it; a file
whose processing crashed after being stored is retried by the daily bulk run)."""

from collections.abc import Iterator
from pathlib import Path

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from orchestration import settings
from orchestration.defs.submissions.assets import INTAKE_OP, config_name
from orchestration.defs.submissions.jobs import submission_intake_job
from orchestration.ingest.file_names import display_path
from orchestration.ingest.file_store import sha256_of, stored_path
from orchestration.submissions.landing import scan


def _next_cursor(previous: int, ready_ctimes: list[int], settling_ctimes: list[int]) -> int:
    """Advance past what was seen, but never past a file still settling (it comes back)."""
    cursor = max([previous, *ready_ctimes])
    if settling_ctimes:
        cursor = min(cursor, min(settling_ctimes) - 1)
    return max(cursor, previous)


def _read_cursor(text: str | None) -> tuple[int, frozenset[str]]:
    """Cursor "<ns>:<sha>,<sha>": files changed at or after <ns> are looked at again (two files
    can share a coarse change time), except the contents already handled at exactly <ns>."""
    if not text:
        return 0, frozenset()
    ns, _, hashes = text.partition(":")
    return int(ns), frozenset(h for h in hashes.split(",") if h)


@sensor(
    job=submission_intake_job,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Starts one submission_intake run per new workbook in raw/submissions/ "
    "(run key = sha256 of the content).",
)
def submission_sensor(context: SensorEvaluationContext) -> Iterator[RunRequest | SkipReason]:
    raw_dir = settings.raw_dir()
    previous, handled_at_previous = _read_cursor(context.cursor)
    landing = scan(raw_dir, settings.settle_seconds(), changed_after_ns=previous)
    ctimes = {path: path.lstat().st_ctime_ns for path in (*landing.ready, *landing.settling)}
    hashes: dict[Path, str] = {}
    requested: set[str] = set()
    known = 0
    for path in landing.ready:
        sha256 = hashes[path] = sha256_of(path)
        if ctimes[path] == previous and sha256 in handled_at_previous:
            continue  # seen on the last tick
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
        [ctimes[p] for p in landing.ready],
        [ctimes[p] for p in landing.settling],
    )
    at_cursor = {hashes[p] for p in landing.ready if ctimes[p] == cursor}
    if cursor == previous:
        at_cursor |= handled_at_previous
    context.update_cursor(f"{cursor}:{','.join(sorted(at_cursor))}")
    if not requested:
        waiting = f"; {len(landing.settling)} still being written" if landing.settling else ""
        seen = f"; {known} already in the file store" if known else ""
        yield SkipReason(f"no new workbooks in raw/submissions/{waiting}{seen}")
