-- Lineage of the construction KPIs (int_kpi__construction_acceptance): one row per current
-- acceptance row counted in a value, read from the rows the KPI aggregates
-- (int_construction_acceptance__kpi_rows): for 合格率 every acceptance of a counted project in
-- the year of its first acceptance, for 实行率 its passing acceptances of the year. A city
-- value lists the rows of every county.

with

kpi_rows as (

    select * from {{ ref('int_construction_acceptance__kpi_rows') }}

)

select
    kpi_code,
    cast(kpi_year as integer) as kpi_year,
    scope_type,
    scope_code,
    cast('construction_acceptance' as varchar) as feed,
    source_sha256,
    cast(source_row as integer) as source_row,
    -- one file row is one acceptance
    cast(null as varchar) as source_part
from kpi_rows
