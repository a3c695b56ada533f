-- 溯源 of DRINKING_WATER_COMPLIANCE_RATE: the samples each yearly city value counts, one row
-- per sample. int_kpi__drinking_water counts every row of int_drinking_water__samples of the
-- year (current deliveries, sources of the register), so the lineage lists those same rows.

with

samples as (

    select * from {{ ref('int_drinking_water__samples') }}

),

kpi_values as (

    select * from {{ ref('int_kpi__drinking_water') }}

)

select
    kpi_values.kpi_code,
    kpi_values.kpi_year,
    kpi_values.scope_type,
    kpi_values.scope_code,
    'drinking_water' as feed,
    samples.source_sha256,
    cast(samples.source_row as integer) as source_row,
    cast(null as varchar) as source_part
from samples
inner join kpi_values on samples.sample_year = kpi_values.kpi_year
