"""Run a job of the code location in this process, recorded in the instance of $DAGSTER_HOME.

`dagster job execute -m …` starts a code server, loads the code location twice and pays that
on every run; a scheduled or scripted refresh needs none of it. The run is stored in the same
instance (Dagster UI: Runs), takes the same pool claims as any other run, and exits non-zero
when it fails.

    python -m orchestration.launch refresh_all
    python -m orchestration.launch publish_assessment --partition 2016
    python -m orchestration.launch refresh_all --full-rebuild   # every model from the raw tables
"""

from __future__ import annotations

import argparse
import sys

from dagster import DagsterInstance


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
    args = parser.parse_args(argv)

    from orchestration.definitions import defs

    job = defs.resolve_job_def(args.job)
    with DagsterInstance.get() as instance:
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
        )
    failed = [e for e in result.all_events if e.is_step_failure]
    for event in failed:
        print(f"FAILED {event.step_key}: {event.message}", file=sys.stderr)
    print(f"{args.job}: {'success' if result.success else 'FAILURE'} (run {result.run_id})")
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
