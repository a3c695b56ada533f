-- SURFACE_WATER_OUTBOUND_BETTER 地表水出境水质优于入境水质, city scope, per calendar year with
-- samples (readings: docs/feeds/surface_water.md → KPI): numerator = rivers whose outbound
-- water is better (int_surface_water__river_years), denominator = rivers evaluable that year;
-- the value is 1 when every evaluable river is better, else 0, and null without an evaluable
-- river. ENVIRONMENT_CONTINUOUS_IMPROVEMENT compares the numerator year on year.

with

river_years as (

    select * from {{ ref('int_surface_water__river_years') }}

),

tallied as (

    select
        sample_year as kpi_year,
        count(*) filter (where is_outbound_better) as numerator,
        count(*) filter (where is_evaluable) as denominator,
        coalesce(sum(source_rows) filter (where is_evaluable), 0) as source_rows
    from river_years
    group by sample_year

)

select
    'SURFACE_WATER_OUTBOUND_BETTER' as kpi_code,
    cast(kpi_year as integer) as kpi_year,
    'city' as scope_type,
    '{{ var("city_code") }}' as scope_code,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    cast(case
        when denominator = 0 then null
        when numerator = denominator then 1
        else 0
    end as double) as actual_value,
    cast(null as double) as reported_prior_value,
    cast(source_rows as bigint) as source_rows
from tallied
