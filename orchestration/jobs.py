"""Jobs and schedules."""

from __future__ import annotations

from dagster import AssetSelection, ScheduleDefinition, define_asset_job

from orchestration.assets.ingestion import INGESTION_LOG_KEYS

# Everything that can be materialised, checks included (the ingestion log is written by the
# ingestion assets, not materialised by themselves).
refresh_all_job = define_asset_job(
    "refresh_all",
    selection=AssetSelection.all() - AssetSelection.assets(*INGESTION_LOG_KEYS),
    description="Ingest new files, rebuild the warehouse, validate, publish.",
)

daily_refresh_schedule = ScheduleDefinition(
    name="daily_refresh",
    job=refresh_all_job,
    cron_schedule="0 6 * * *",
    execution_timezone="Asia/Shanghai",
    description="Every morning at 06:00 Beijing time, after departments' overnight deliveries.",
)
