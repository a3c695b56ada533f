-- 溯源 of ENVIRONMENT_CONTINUOUS_IMPROVEMENT (环境状况持续好转): the value of a year compares
-- four components' city values of that year and the year before, so it lists those
-- components' lineage rows of both years, as its source_rows adds their source_rows
-- (int_kpi__environment). AIR_DUAL_CONTROL_TARGET is not a component.

with

kpi_values as (

    select * from {{ ref('int_kpi__environment') }}

),

components as (

    select * from {{ ref('int_kpi_lineage__air_quality') }}
    where scope_type = 'city' and kpi_code = 'AIR_PM25_ANNUAL_MEAN'
    union all
    select * from {{ ref('int_kpi_lineage__surface_water') }}
    where scope_type = 'city' and kpi_code = 'SURFACE_WATER_OUTBOUND_BETTER'
    union all
    select * from {{ ref('int_kpi_lineage__drinking_water') }}
    where scope_type = 'city' and kpi_code = 'DRINKING_WATER_COMPLIANCE_RATE'
    union all
    select * from {{ ref('int_kpi_lineage__sewage') }}
    where scope_type = 'city' and kpi_code = 'URBAN_SEWAGE_TREATMENT_RATE'

)

select
    kpi_values.kpi_code,
    kpi_values.kpi_year,
    kpi_values.scope_type,
    kpi_values.scope_code,
    components.feed,
    components.source_sha256,
    components.source_row,
    components.source_part
from kpi_values
inner join components
    on components.kpi_year in (kpi_values.kpi_year, kpi_values.kpi_year - 1)
