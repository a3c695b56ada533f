"""Jobs of the submission capability: the intake of filled workbooks, the blank templates."""

from dagster import AssetSelection, define_asset_job, in_process_executor

from orchestration.defs.submissions.assets import SUBMISSION_KEYS, TEMPLATE_KEY

# One run per workbook, started by the submission sensor (sensors.py).
submission_intake_job = define_asset_job(
    "submission_intake",
    selection=AssetSelection.assets(*SUBMISSION_KEYS),
    executor_def=in_process_executor,
    description="报送表受理: process one delivered workbook (or every new one): load, "
    "quarantine, feedback.",
)

submission_templates_job = define_asset_job(
    "submission_templates",
    selection=AssetSelection.assets(TEMPLATE_KEY),
    executor_def=in_process_executor,
    description="报送模板: write the blank 报送表 templates for a year (config: year, periods).",
)
