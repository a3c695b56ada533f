"""The daily refresh across capabilities."""

from dagster import Definitions

from orchestration.defs.refresh.jobs import daily_refresh_schedule, refresh_all_job


def defs() -> Definitions:
    return Definitions(jobs=[refresh_all_job], schedules=[daily_refresh_schedule])
