-- depends_on: {{ ref('ref_hj633_iaqi_breakpoints') }}
-- 区域日均值与日AQI: per county and for the city, the mean of the valid station daily values
-- of the area's stations (city: the stations that count for the city figure, is_city_assessment);
-- IAQI and AQI recomputed from the area concentrations (HJ 663 §5 / HJ 633 §5).

with

station_daily as (

    select * from {{ ref('int_air_quality__station_daily') }}
    where station_type != '模拟'

),

scoped as (

    select
        'county' as scope_type,
        county_code as scope_code,
        *
    from station_daily
    union all
    select
        'city' as scope_type,
        '{{ var("city_code") }}' as scope_code,
        *
    from station_daily
    where {{ air_quality_is_city_station('station_daily') }}

),

area as (

    select
        scope_type,
        scope_code,
        obs_date,
        cast(year(obs_date) as integer) as obs_year,
        avg(pm25) as pm25,
        avg(pm10) as pm10,
        avg(so2) as so2,
        avg(no2) as no2,
        avg(co) as co,
        avg(o3_8h_max) as o3_8h_max,
        avg(o3_1h_max) as o3_1h_max,
        cast(count(*) as integer) as stations_reporting,
        cast(count(pm25) as integer) as stations_valid,
        cast(sum(source_rows) as bigint) as source_rows
    from scoped
    group by scope_type, scope_code, obs_date

)

{{ air_quality_index_columns('area') }}
