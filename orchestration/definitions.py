"""The code location: one Definitions object for the whole platform."""

from __future__ import annotations

from dagster import Definitions

from orchestration.assets.dbt_models import DBT_ASSETS
from orchestration.assets.ingestion import build_ingestion_asset, ingestion_log_specs
from orchestration.assets.publication import published_assessment
from orchestration.checks.gx_checks import GX_CHECKS
from orchestration.jobs import daily_refresh_schedule, refresh_all_job
from orchestration.resources import build_resources

# Feeds with a contract in orchestration/feeds/<feed>.yaml and an ingestion asset.
FEEDS = ["spot_checks"]


def build_definitions() -> Definitions:
    return Definitions(
        assets=[
            *(build_ingestion_asset(feed) for feed in FEEDS),
            *ingestion_log_specs(FEEDS),
            *DBT_ASSETS,
            published_assessment,
        ],
        asset_checks=GX_CHECKS,
        jobs=[refresh_all_job],
        schedules=[daily_refresh_schedule],
        resources=build_resources(),
    )


defs = build_definitions()
