"""The published assessment: immutable yearly versions for the bureau and auditors."""

from dagster import Definitions

from orchestration.defs.publication.assets import published_assessment_by_year
from orchestration.defs.publication.jobs import (
    assessment_january_schedule,
    publish_assessment_job,
)


def defs() -> Definitions:
    return Definitions(
        assets=[published_assessment_by_year],
        jobs=[publish_assessment_job],
        schedules=[assessment_january_schedule],
    )
