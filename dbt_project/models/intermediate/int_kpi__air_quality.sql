-- The air-quality KPIs per calendar year, city scope (PM2.5 is monitored city-wide):
-- AIR_PM25_ANNUAL_MEAN (PM2.5年均浓度; the mart compares it with the year before) and
-- AIR_DUAL_CONTROL_TARGET (“双控”达成, 1/0; no value without a verdict). Every year with
-- daily values has a row, so the mart finds the prior year of the first assessed one.

with

annual as (

    select * from {{ ref('int_air_quality__city_pm25_annual') }}

),

dual_control as (

    select * from {{ ref('int_air_quality__dual_control') }}

),

pm25_mean as (

    select
        'AIR_PM25_ANNUAL_MEAN' as kpi_code,
        obs_year as kpi_year,
        pm25_sum as numerator,
        cast(valid_days as double) as denominator,
        pm25_annual_mean as actual_value,
        source_rows
    from annual

),

dual as (

    select
        'AIR_DUAL_CONTROL_TARGET' as kpi_code,
        obs_year as kpi_year,
        cast(is_met as double) as numerator,
        cast(null as double) as denominator,
        cast(is_met as double) as actual_value,
        source_rows
    from dual_control

),

unioned as (

    select * from pm25_mean
    union all
    select * from dual

)

select
    kpi_code,
    cast(kpi_year as integer) as kpi_year,
    'city' as scope_type,
    '{{ var("city_code") }}' as scope_code,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    cast(actual_value as double) as actual_value,
    cast(null as double) as reported_prior_value,
    cast(source_rows as bigint) as source_rows
from unioned
