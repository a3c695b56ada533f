-- Lineage of the KPIs the units report (指标填报): one row per metric row of a current accepted
-- annual version (年度总结) counted in a value, from the same counted rows as
-- int_kpi__submitted_metrics (macro submitted_metric_kpi_rows): a county value lists its
-- reporter's row, a city value the rows of every reporter it pools or takes the weakest of.

with

{{ submitted_metric_kpi_rows() }}

select
    cast(kpi_code as varchar) as kpi_code,
    cast(kpi_year as integer) as kpi_year,
    cast(scope_type as varchar) as scope_type,
    cast(scope_code as varchar) as scope_code,
    'submissions' as feed,
    cast(source_sha256 as varchar) as source_sha256,
    cast(source_row as integer) as source_row,
    cast(null as varchar) as source_part
from kpi_rows
