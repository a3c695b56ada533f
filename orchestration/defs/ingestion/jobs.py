"""`ingest_<feed>` jobs and each feed's delivery schedule."""

from __future__ import annotations

from datetime import timedelta

from dagster import (
    AssetKey,
    AssetSelection,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    define_asset_job,
    in_process_executor,
    schedule,
)
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,  # what define_asset_job returns; not exported at top level
)

from orchestration.ingest.contract import load_contract
from orchestration.ingest.landing import LOCAL_TIME
from orchestration.partitions import DELIVERY_MONTHS


def feed_job(feed: str) -> UnresolvedAssetJobDefinition:
    """`ingest_<feed>`: load one month's deliveries of a feed (or a range, in one run)."""
    title = load_contract(feed).title
    return define_asset_job(
        f"ingest_{feed}",
        selection=AssetSelection.assets(AssetKey(["raw", feed])),
        partitions_def=DELIVERY_MONTHS,
        executor_def=in_process_executor,
        description=f"{title}入库: ingest the deliveries of a month.",
    )


def feed_schedule(feed: str, job: UnresolvedAssetJobDefinition) -> ScheduleDefinition | None:
    """The feed's delivery calendar from its contract: at each tick, the month holding the day
    `period_lag_days` before it (the month whose deliveries are due). The marts take the new
    rows at the next daily_refresh."""
    spec = load_contract(feed).schedule
    if spec is None:
        return None

    @schedule(
        name=f"{feed}_deliveries",
        cron_schedule=spec.cron,
        job=job,
        execution_timezone="Asia/Shanghai",
        description=spec.description,
    )
    def _deliveries(context: ScheduleEvaluationContext) -> RunRequest:
        tick = context.scheduled_execution_time.astimezone(LOCAL_TIME)
        month = (tick - timedelta(days=spec.period_lag_days)).strftime("%Y-%m")
        return RunRequest(run_key=f"{feed}-{tick:%Y%m%dT%H%M}", partition_key=month)

    return _deliveries
