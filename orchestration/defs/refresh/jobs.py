"""The daily refresh: every capability in one run, in one process."""

from dagster import AssetSelection, ScheduleDefinition, define_asset_job, in_process_executor

from orchestration.defs.ingestion.assets import INGESTION_LOG_KEYS
from orchestration.defs.publication.assets import PUBLISHED_BY_YEAR_KEY
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
    "refresh_all",
    selection=AssetSelection.all()
    - AssetSelection.assets(*INGESTION_LOG_KEYS, TEMPLATE_KEY, PUBLISHED_BY_YEAR_KEY),
    executor_def=in_process_executor,
    description="每日更新: ingest new deliveries, build what they change behind the quality "
    "gates, publish every year whose assessment changed.",
)

daily_refresh_schedule = ScheduleDefinition(
    name="daily_refresh",
    job=refresh_all_job,
    cron_schedule="0 6 * * *",
    execution_timezone="Asia/Shanghai",
    description="每天06:00（北京时间）, after departments' overnight deliveries.",
)
