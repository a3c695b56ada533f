"""The code location: one Definitions object for the whole platform."""

from __future__ import annotations

from dagster import AssetKey, Definitions

from orchestration.assets.dbt_models import DBT_ASSETS
from orchestration.assets.export import assessment_workbook
from orchestration.assets.ingestion import build_ingestion_asset, ingestion_log_specs
from orchestration.assets.publication import published_assessment, published_assessment_by_year
from orchestration.assets.submissions import SUBMISSION_KEYS, raw_submissions, submission_templates
from orchestration.checks.gx_checks import GX_CHECKS
from orchestration.ingest.contract import feed_names
from orchestration.jobs import (
    assessment_january_schedule,
    daily_refresh_schedule,
    feed_job,
    feed_schedule,
    publish_assessment_job,
    refresh_all_job,
    submission_intake_job,
    submission_templates_job,
)
from orchestration.resources import build_resources
from orchestration.sensors import submission_sensor

# Feeds with a contract in orchestration/feeds/<feed>.yaml get an ingestion asset.
FEEDS = feed_names()


def build_definitions() -> Definitions:
    feed_jobs = {feed: feed_job(feed) for feed in FEEDS}
    feed_schedules = [feed_schedule(feed, job) for feed, job in feed_jobs.items()]
    return Definitions(
        assets=[
            *(build_ingestion_asset(feed) for feed in FEEDS),
            raw_submissions,
            submission_templates,
            *ingestion_log_specs([*(AssetKey(["raw", f]) for f in FEEDS), SUBMISSION_KEYS[0]]),
            *DBT_ASSETS,
            published_assessment,
            published_assessment_by_year,
            assessment_workbook,
        ],
        asset_checks=GX_CHECKS,
        jobs=[
            refresh_all_job,
            publish_assessment_job,
            submission_intake_job,
            submission_templates_job,
            *feed_jobs.values(),
        ],
        schedules=[
            daily_refresh_schedule,
            assessment_january_schedule,
            *(s for s in feed_schedules if s is not None),
        ],
        sensors=[submission_sensor],
        resources=build_resources(),
    )


defs = build_definitions()
