"""The annual assessment's job and its January schedule."""

from dagster import (
    AssetSelection,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    in_process_executor,
    schedule,
)

from orchestration.defs.publication.assets import PUBLISHED_BY_YEAR_KEY
from orchestration.defs.transform.manifest import DBT_KEYS, STATE_KEY
from orchestration.ingest.landing import LOCAL_TIME
from orchestration.partitions import ASSESSMENT_YEARS

# The annual assessment of one year (or a range, in one run): the warehouse models behind
# their gates (built only where something changed), then the year's publication, which does
# not run when a gate fails. Ingestion is not in it: the daily refresh_all has loaded the files.
publish_assessment_job = define_asset_job(
    "publish_assessment",
    selection=AssetSelection.assets(*DBT_KEYS, STATE_KEY, PUBLISHED_BY_YEAR_KEY),
    partitions_def=ASSESSMENT_YEARS,
    executor_def=in_process_executor,
    description="考核年度发布: bring the marts up to date behind the quality gates, publish the "
    "year's assessment as a new version when it changed.",
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
