"""The one partitioning of delivered data: the month a delivery covers (YYYY-MM, Beijing time).

Every feed's ingestion asset shares it, so one job can hold all of them: Dagster allows a
single partitions definition per job. Daily deliveries (folders YYYY-MM-DD) fall in the month
that holds their day. Unpartitioned runs (refresh_all) take every month."""

from dagster import (
    AssetExecutionContext,
    MonthlyPartitionsDefinition,
    TimeWindowPartitionsDefinition,
)

from orchestration.ingest.delivery import FIRST_MONTH

DELIVERY_MONTHS = MonthlyPartitionsDefinition(
    start_date=FIRST_MONTH.strftime("%Y-%m"),
    fmt="%Y-%m",
    timezone="Asia/Shanghai",
    end_offset=1,  # the month in progress: daily deliveries arrive before it ends
)


def selected_months(context: AssetExecutionContext) -> frozenset[str] | None:
    """The months a run covers: one partition, a range (single-run backfill), or None for
    an unpartitioned run, which takes every month."""
    if context.has_partition_key or context.has_partition_key_range:
        return frozenset(context.partition_keys)
    return None


def _plan_year() -> int:
    """The plan year of the dbt project (var plan_year): the first assessment year."""
    import yaml

    from orchestration.settings import DBT_PROJECT_DIR

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return int(project["vars"]["plan_year"])


# 考核年度: one partition per calendar year from the plan year, Beijing time. A year becomes a
# partition when it has ended (the assessment of a year is made after it), so the list grows
# by itself every January; the January schedule asks for the year just ended.
ASSESSMENT_YEARS = TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *",
    start=str(_plan_year()),
    fmt="%Y",
    timezone="Asia/Shanghai",
)
