"""Ingestion of the supervision feeds: one asset per feed contract, its job and schedule."""

from dagster import AssetKey, Definitions

from orchestration.defs.ingestion.assets import build_ingestion_asset, ingestion_log_specs
from orchestration.defs.ingestion.jobs import feed_job, feed_schedule
from orchestration.defs.submissions.assets import SUBMISSION_KEYS
from orchestration.ingest.contract import feed_names

# Feeds with a contract in orchestration/feeds/<feed>.yaml get an ingestion asset.
FEEDS = feed_names()
FEED_KEYS = tuple(AssetKey(["raw", feed]) for feed in FEEDS)


def defs() -> Definitions:
    jobs = {feed: feed_job(feed) for feed in FEEDS}
    schedules = [feed_schedule(feed, job) for feed, job in jobs.items()]
    return Definitions(
        assets=[
            *(build_ingestion_asset(feed) for feed in FEEDS),
            *ingestion_log_specs([*FEED_KEYS, SUBMISSION_KEYS[0]]),
        ],
        jobs=list(jobs.values()),
        schedules=[s for s in schedules if s is not None],
    )
