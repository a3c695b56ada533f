"""Run a job of the code location in this process, recorded in the instance of $DAGSTER_HOME.

`dagster job execute -m …` starts a code server, loads the code location twice and pays that
on every run; a scheduled or scripted refresh needs none of it. The run is stored in the same
instance (Dagster UI: Runs), takes the same pool claims as any other run, and exits non-zero
when it fails.

    python -m orchestration.launch refresh_all
    python -m orchestration.launch publish_assessment --partition 2016
    python -m orchestration.launch refresh_all --full-rebuild   # every model from the raw tables
    python -m orchestration.launch refresh_all --force   # even when nothing is new

`refresh_all` first asks whether anything is new (defs/refresh/up_to_date.py): when no
delivery, submission or code changed and the warehouse is as the last refresh left it, it
says so and starts no run, without loading the code location.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from orchestration.defs.refresh.up_to_date import REFRESH_JOB, decide

PID_TAG, HOST_TAG = "lq/pid", "lq/host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_killed_runs(instance: DagsterInstance) -> list[str]:
    """Runs this launcher started on this machine whose process is gone (kill -9, power cut)
    stay STARTED and keep their pool slot for ever: the next run would wait on it. Mark them
    failed and free their slots; their work converges on this run (docs/architecture.md)."""
    host = socket.gethostname()
    recovered = []
    running = instance.get_runs(
        RunsFilter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING])
    )
    for run in running:
        pid, run_host = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
        if run_host != host or pid is None or _alive(int(pid)):
            continue
        instance.report_run_failed(run, f"process {pid} is gone (killed); recovered at launch")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        recovered.append(run.run_id)
    return recovered


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.launch", description=__doc__)
    parser.add_argument("job", help="job name, e.g. refresh_all")
    parser.add_argument("--partition", help="partition key, e.g. 2016 or 2016-03")
    parser.add_argument(
        "--full-rebuild",
        action="store_true",
        help="rebuild every warehouse model from the raw tables (dbt --full-refresh), "
        "whatever was built before",
    )
    parser.add_argument(
        "--force", action="store_true", help="run even when nothing is new since the last run"
    )
    args = parser.parse_args(argv)

    with DagsterInstance.get() as instance:
        for run_id in recover_killed_runs(instance):
            print(f"run {run_id} had been killed: marked failed, its pool slot freed")
        tags = {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
        changed: frozenset[str] | None = None
        if args.job == REFRESH_JOB and not args.partition:
            decision = decide(instance)
            if decision.up_to_date and not (args.force or args.full_rebuild):
                print(f"{args.job}: up to date, no run started: {decision.why}")
                return 0
            print(f"{args.job}: {decision.why}")
            tags.update(decision.tags)
            if not (args.force or args.full_rebuild):
                changed = decision.changed_parts

        # Loaded only now: the code location costs seconds to import.
        from orchestration.definitions import defs
        from orchestration.defs.refresh.selection import refresh_selection

        job = defs.resolve_job_def(args.job)
        selection = refresh_selection(changed) if changed else None
        run_config = (
            {"ops": {"warehouse_models": {"config": {"full_rebuild": True}}}}
            if args.full_rebuild
            else None
        )
        result = job.execute_in_process(
            run_config=run_config,
            instance=instance,
            partition_key=args.partition,
            raise_on_error=False,
            tags=tags,
            asset_selection=selection,
        )
    failed = [e for e in result.all_events if e.is_step_failure]
    for event in failed:
        print(f"FAILED {event.step_key}: {event.message}", file=sys.stderr)
    print(f"{args.job}: {'success' if result.success else 'FAILURE'} (run {result.run_id})")
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
