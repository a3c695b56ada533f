"""The one partitioning of delivered data: the month a delivery covers (YYYY-MM, Beijing time).

Every feed's ingestion asset shares it, so one job can hold all of them: Dagster allows a
single partitions definition per job. Daily deliveries (folders YYYY-MM-DD) fall in the month
that holds their day. Unpartitioned runs (refresh_all) take every month."""

from dagster import AssetExecutionContext, MonthlyPartitionsDefinition

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
