"""Jobs and schedules."""

from __future__ import annotations

from dagster import AssetSelection, ScheduleDefinition, define_asset_job

from orchestration.assets.ingestion import INGESTION_LOG_KEYS
from orchestration.assets.submissions import SUBMISSION_KEYS, TEMPLATE_KEY

# Everything that can be materialised, checks included (the ingestion log is written by the
# ingestion assets, not materialised by themselves; templates are made on demand).
refresh_all_job = define_asset_job(
    "refresh_all",
    selection=AssetSelection.all() - AssetSelection.assets(*INGESTION_LOG_KEYS, TEMPLATE_KEY),
    description="Ingest new files, rebuild the warehouse, validate, publish.",
)

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
