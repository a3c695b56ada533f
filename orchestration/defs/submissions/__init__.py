"""Department and county submissions: templates out, filled workbooks in."""

from dagster import Definitions

from orchestration.defs.submissions.assets import raw_submissions, submission_templates
from orchestration.defs.submissions.jobs import submission_intake_job, submission_templates_job
from orchestration.defs.submissions.sensors import submission_sensor


def defs() -> Definitions:
    return Definitions(
        assets=[raw_submissions, submission_templates],
        jobs=[submission_intake_job, submission_templates_job],
        sensors=[submission_sensor],
    )
