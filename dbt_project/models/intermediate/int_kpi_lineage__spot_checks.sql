-- Lineage of the spot-check KPIs (int_kpi__spot_checks): one row per current batch row counted
-- in a value, read from the same counted rows the KPI aggregates (int_spot_checks__kpi_rows).
-- A city value lists the rows of its counties and the city-only rows.

with

kpi_rows as (

    select * from {{ ref('int_spot_checks__kpi_rows') }}

)

select
    kpi_code,
    cast(kpi_year as integer) as kpi_year,
    scope_type,
    scope_code,
    cast('spot_checks' as varchar) as feed,
    source_sha256,
    cast(source_row as integer) as source_row,
    -- one file row is one batch
    cast(null as varchar) as source_part
from kpi_rows
