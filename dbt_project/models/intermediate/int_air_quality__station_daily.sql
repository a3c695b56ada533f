-- depends_on: {{ ref('ref_hj633_iaqi_breakpoints') }}
-- 站点日均值与日AQI: per station and natural day, the HJ 663-2013 valid daily values from the
-- current hourly rows and the HJ 633-2012 IAQI / AQI of the day (docs/feeds/air_quality_hourly.md).

with

hourly as (

    select * from {{ ref('int_air_quality_hourly__current') }}

),

stations as (

    select * from {{ ref('ref_air_stations') }}

),

daily as (

    -- HJ 663 表1: a 24-h mean of SO2, NO2, CO, PM10, PM2.5 needs ≥ 20 valid hours in the day
    select
        station_code,
        obs_date,
        count(pm25) as pm25_valid_hours,
        count(pm10) as pm10_valid_hours,
        count(so2) as so2_valid_hours,
        count(no2) as no2_valid_hours,
        count(co) as co_valid_hours,
        count(o3) as o3_valid_hours,
        case when count(pm25) >= 20 then avg(pm25) end as pm25,
        case when count(pm10) >= 20 then avg(pm10) end as pm10,
        case when count(so2) >= 20 then avg(so2) end as so2,
        case when count(no2) >= 20 then avg(no2) end as no2,
        case when count(co) >= 20 then avg(co) end as co,
        max(o3) as o3_1h_max,
        count(*) as source_rows
    from hourly
    group by station_code, obs_date

),

windows as (

    -- O3 8-h moving means ending at hours 7..23 of the day (windows inside the natural day),
    -- each valid with ≥ 6 hourly values in its 8 hours
    select
        daily.station_code,
        daily.obs_date,
        ends.end_hour,
        case when count(hourly.o3) >= 6 then avg(hourly.o3) end as o3_8h
    from daily
    cross join range(7, 24) as ends (end_hour)
    left join hourly
        on
            daily.station_code = hourly.station_code
            and daily.obs_date = hourly.obs_date
            and hourly.obs_hour between ends.end_hour - 7 and ends.end_hour
    group by daily.station_code, daily.obs_date, ends.end_hour

),

o3_daily as (

    -- the day's maximum 8-h mean needs ≥ 14 valid 8-h means in the day
    select
        station_code,
        obs_date,
        count(o3_8h) as o3_8h_valid_windows,
        case when count(o3_8h) >= 14 then max(o3_8h) end as o3_8h_max
    from windows
    group by station_code, obs_date

),

joined as (

    select
        daily.station_code,
        stations.county_code,
        stations.station_type,
        stations.is_city_assessment,
        daily.obs_date,
        cast(year(daily.obs_date) as integer) as obs_year,
        daily.pm25,
        daily.pm25_valid_hours,
        daily.pm10,
        daily.pm10_valid_hours,
        daily.so2,
        daily.so2_valid_hours,
        daily.no2,
        daily.no2_valid_hours,
        daily.co,
        daily.co_valid_hours,
        daily.o3_valid_hours,
        o3_daily.o3_8h_valid_windows,
        o3_daily.o3_8h_max,
        case when o3_daily.o3_8h_max is not null then daily.o3_1h_max end as o3_1h_max,
        daily.source_rows
    from daily
    inner join o3_daily
        on
            daily.station_code = o3_daily.station_code
            and daily.obs_date = o3_daily.obs_date
    left join stations on daily.station_code = stations.station_code

)

{{ air_quality_index_columns('joined') }}
