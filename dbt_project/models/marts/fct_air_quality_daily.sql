-- 空气质量日评价: every station, county and the city per day (HJ 663 daily values, HJ 633 AQI).

with

stations as (

    select
        'station' as scope_type,
        station_code as scope_code,
        obs_date,
        obs_year,
        pm25,
        pm10,
        so2,
        no2,
        co,
        o3_8h_max,
        o3_1h_max,
        iaqi_pm25,
        iaqi_pm10,
        iaqi_so2,
        iaqi_no2,
        iaqi_co,
        iaqi_o3_8h,
        iaqi_o3_1h,
        aqi,
        primary_pollutant,
        is_good_day,
        cast(case when pm25 is not null then 1 else 0 end as integer) as stations_valid,
        cast(source_rows as bigint) as source_rows
    from {{ ref('int_air_quality__station_daily') }}

),

areas as (

    select
        scope_type,
        scope_code,
        obs_date,
        obs_year,
        pm25,
        pm10,
        so2,
        no2,
        co,
        o3_8h_max,
        o3_1h_max,
        iaqi_pm25,
        iaqi_pm10,
        iaqi_so2,
        iaqi_no2,
        iaqi_co,
        iaqi_o3_8h,
        iaqi_o3_1h,
        aqi,
        primary_pollutant,
        is_good_day,
        stations_valid,
        source_rows
    from {{ ref('int_air_quality__area_daily') }}

)

select * from stations
union all
select * from areas
