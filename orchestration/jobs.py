"""Jobs and schedules."""

from __future__ import annotations

from datetime import timedelta

from dagster import (
    AssetKey,
    AssetSelection,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,  # what define_asset_job returns; not exported at top level
)

from orchestration.assets.dbt_models import DBT_ASSETS
from orchestration.assets.ingestion import INGESTION_LOG_KEYS
from orchestration.assets.publication import PUBLISHED_BY_YEAR_KEY
from orchestration.assets.submissions import SUBMISSION_KEYS, TEMPLATE_KEY
from orchestration.ingest.contract import load_contract
from orchestration.ingest.landing import LOCAL_TIME
from orchestration.partitions import ASSESSMENT_YEARS, DELIVERY_MONTHS

# Everything that can be materialised, checks included (the ingestion log is written by the
# ingestion assets, not materialised by themselves; templates are made on demand). The yearly
# publication has its own job: a job holds one partitioning, and this one carries the monthly
# delivery partitions; `published/assessment` publishes every year here instead.
refresh_all_job = define_asset_job(
    "refresh_all",
    selection=AssetSelection.all()
    - AssetSelection.assets(*INGESTION_LOG_KEYS, TEMPLATE_KEY, PUBLISHED_BY_YEAR_KEY),
    description="Ingest new files, rebuild the warehouse, validate, publish every year.",
)

# The annual assessment of one year (or a range, in one run): the dbt steps with their
# blocking GX checks, then the year's publication, which does not run when a gate fails.
# Ingestion is not in it (monthly partitions); the daily refresh_all has loaded the files.
publish_assessment_job = define_asset_job(
    "publish_assessment",
    selection=AssetSelection.assets(*DBT_ASSETS, PUBLISHED_BY_YEAR_KEY),
    partitions_def=ASSESSMENT_YEARS,
    description="考核年度: rebuild the marts behind the quality gates, publish the year's "
    "assessment as a new version when it changed.",
)


@schedule(
    name="assessment_january",
    cron_schedule="0 8 28 1 *",
    job=publish_assessment_job,
    execution_timezone="Asia/Shanghai",
    description="每年1月28日08:00发布上一年度考核结果：年度总结1月20日前报送，12月竣工验收和"
    "特种设备检验的更正25日前接收，均已由每日06:00的 refresh_all 入库。",
)
def assessment_january_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    year = context.scheduled_execution_time.astimezone(LOCAL_TIME).year - 1
    return RunRequest(run_key=f"assessment-{year}", partition_key=str(year))


daily_refresh_schedule = ScheduleDefinition(
    name="daily_refresh",
    job=refresh_all_job,
    cron_schedule="0 6 * * *",
    execution_timezone="Asia/Shanghai",
    description="Every morning at 06:00 Beijing time, after departments' overnight deliveries.",
)

# One run per workbook, started by the submission sensor (orchestration/sensors.py).
submission_intake_job = define_asset_job(
    "submission_intake",
    selection=AssetSelection.assets(*SUBMISSION_KEYS),
    description="Process one delivered workbook (or every new one): load, quarantine, feedback.",
)

submission_templates_job = define_asset_job(
    "submission_templates",
    selection=AssetSelection.assets(TEMPLATE_KEY),
    description="Write the blank 报送表 templates for a year (config: year, periods).",
)


def feed_job(feed: str) -> UnresolvedAssetJobDefinition:
    """`ingest_<feed>`: load one month's deliveries of a feed (or a range, in one run)."""
    return define_asset_job(
        f"ingest_{feed}",
        selection=AssetSelection.assets(AssetKey(["raw", feed])),
        partitions_def=DELIVERY_MONTHS,
        description=f"{load_contract(feed).title}: ingest the deliveries of a month.",
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
