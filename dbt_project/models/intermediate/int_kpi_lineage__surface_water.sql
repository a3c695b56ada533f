-- 溯源 of SURFACE_WATER_OUTBOUND_BETTER: the samples each yearly city value counts. The KPI
-- counts the samples of the 入境 and 出境 sections of the rivers evaluable in the year
-- (int_surface_water__river_years: source_rows = both sections' samples), so the lineage
-- lists those sections' samples of the year (int_surface_water__section_months, the rows
-- behind int_surface_water__section_years.samples); a river not evaluable counts nothing.

with

river_years as (

    select * from {{ ref('int_surface_water__river_years') }}
    where is_evaluable

),

samples as (

    select * from {{ ref('int_surface_water__section_months') }}

),

kpi_values as (

    select * from {{ ref('int_kpi__surface_water') }}

),

counted as (

    select
        river_years.sample_year,
        samples.source_sha256,
        samples.source_row
    from river_years
    inner join samples
        on
            samples.section_code in (
                river_years.inbound_section_code, river_years.outbound_section_code
            )
            and river_years.sample_year = samples.sample_year

)

select
    kpi_values.kpi_code,
    kpi_values.kpi_year,
    kpi_values.scope_type,
    kpi_values.scope_code,
    'surface_water' as feed,
    counted.source_sha256,
    cast(counted.source_row as integer) as source_row,
    cast(null as varchar) as source_part
from counted
inner join kpi_values on counted.sample_year = kpi_values.kpi_year
