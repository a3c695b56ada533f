"""The daily refresh: every capability in one run, in one process, launched only when
something is new (up_to_date.py)."""

from dagster import (
    AssetKey,
    AssetSelection,
    DefaultSensorStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    in_process_executor,
    schedule,
    sensor,
)

from orchestration.defs.ingestion.assets import INGESTION_LOG_KEYS
from orchestration.defs.publication.assets import PUBLISHED_BY_YEAR_KEY
from orchestration.defs.refresh.selection import refresh_selection
from orchestration.defs.refresh.up_to_date import INPUTS_TAG, REFRESH_JOB, Decision, decide
from orchestration.defs.submissions.assets import TEMPLATE_KEY

# Everything that can be materialised, checks included (the ingestion log is written by the
# ingestion assets, not materialised by itself; templates are made on demand). The yearly
# publication has its own job: a job holds one partitioning, and this one carries the monthly
# delivery partitions; `published/assessment` publishes every year here instead.
#
# In process: all warehouse writers are serialised anyway (one DuckDB writer), so a process,
# an import of the code location and a pool claim per step would buy nothing. The pool
# "duckdb" still serialises this run's steps with those of any other run.
refresh_all_job = define_asset_job(
    REFRESH_JOB,
    selection=AssetSelection.all()
    - AssetSelection.assets(*INGESTION_LOG_KEYS, TEMPLATE_KEY, PUBLISHED_BY_YEAR_KEY),
    executor_def=in_process_executor,
    description="每日更新: ingest new deliveries, build what they change behind the quality "
    "gates, publish every year whose assessment changed.",
)


@schedule(
    name="daily_refresh",
    job=refresh_all_job,
    cron_schedule="0 6 * * *",
    execution_timezone="Asia/Shanghai",
    description="每天06:00（北京时间）, after departments' overnight deliveries; skipped, with "
    "the reason, when nothing was delivered or changed since the last refresh.",
)
def daily_refresh_schedule(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
    decision = decide(context.instance)
    if decision.up_to_date:
        return SkipReason(decision.why)
    return RunRequest(tags=decision.tags, asset_selection=_selection(decision))


@sensor(
    job=refresh_all_job,
    minimum_interval_seconds=300,
    default_status=DefaultSensorStatus.STOPPED,
    description="新数据到达即更新: starts a refresh when a delivery lands or the code changes, "
    "at most every 5 minutes (off by default; the daily schedule covers the day). One run "
    "per state of the landing zone and code (run key): a run that fails is not retried "
    "until something changes or the schedule comes.",
)
def new_deliveries_sensor(context: SensorEvaluationContext) -> RunRequest | SkipReason:
    decision = decide(context.instance)
    if decision.up_to_date:
        return SkipReason(decision.why)
    return RunRequest(
        run_key=decision.tags[INPUTS_TAG],
        tags=decision.tags,
        asset_selection=_selection(decision),
    )


def _selection(decision: Decision) -> list[AssetKey] | None:
    return refresh_selection(decision.changed_parts) if decision.changed_parts else None
