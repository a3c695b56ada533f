-- 溯源 of the air-quality KPIs: the rows behind each year's city PM2.5 daily values
-- (int_air_quality__city_pm25_daily). A day with the city's published value counts its one
-- air_quality_daily row; a day without one counts the current station-hour rows of the city
-- stations behind int_air_quality__city_daily_from_stations (all hours of the day, as its
-- source_rows), one per station: source_part = station code, since one file row of the
-- national release holds every station's value of that hour. AIR_DUAL_CONTROL_TARGET is
-- judged on the year's annual mean, so it lists the same rows as the PM2.5 value of its year.

with

days as (

    select * from {{ ref('int_air_quality__city_pm25_daily') }}

),

published as (

    select * from {{ ref('int_air_quality_daily__current') }}

),

hourly as (

    select * from {{ ref('int_air_quality_hourly__current') }}

),

stations as (

    select * from {{ ref('ref_air_stations') }}

),

kpi_values as (

    select * from {{ ref('int_kpi__air_quality') }}

),

published_rows as (

    select
        days.obs_year,
        'air_quality_daily' as feed,
        published.source_sha256,
        published.source_row,
        cast(null as varchar) as source_part
    from days
    inner join published on days.obs_date = published.obs_date
    where days.pm25_source = 'published'

),

station_rows as (

    select
        days.obs_year,
        'air_quality_hourly' as feed,
        hourly.source_sha256,
        hourly.source_row,
        hourly.station_code as source_part
    from days
    inner join hourly on days.obs_date = hourly.obs_date
    inner join stations on hourly.station_code = stations.station_code
    where
        days.pm25_source = 'stations'
        and {{ air_quality_is_city_station('stations') }}

),

counted as (

    select * from published_rows
    union all
    select * from station_rows

)

select
    kpi_values.kpi_code,
    kpi_values.kpi_year,
    kpi_values.scope_type,
    kpi_values.scope_code,
    counted.feed,
    counted.source_sha256,
    cast(counted.source_row as integer) as source_row,
    counted.source_part
from counted
inner join kpi_values on counted.obs_year = kpi_values.kpi_year
