-- Lineage of 挂牌督办率 (int_kpi__special_equipment): one row per current inspection row counted
-- in a value, i.e. with a major hazard, read from the rows the KPI sums
-- (int_special_equipment__kpi_rows). A city value lists the rows of every county.

with

kpi_rows as (

    select * from {{ ref('int_special_equipment__kpi_rows') }}

)

select
    kpi_code,
    cast(kpi_year as integer) as kpi_year,
    scope_type,
    scope_code,
    cast('special_equipment' as varchar) as feed,
    source_sha256,
    cast(source_row as integer) as source_row,
    -- one file row is one inspection
    cast(null as varchar) as source_part
from kpi_rows
