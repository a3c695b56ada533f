with

source as (

    select * from {{ source('raw', 'air_quality_hourly') }}

),

renamed as (

    select
        obs_date,
        obs_hour,
        cast(year(obs_date) as integer) as obs_year,
        station_code,
        station_code_original,
        aqi as aqi_reported,
        pm25,
        pm25_24h,
        pm10,
        pm10_24h,
        so2,
        so2_24h,
        no2,
        no2_24h,
        o3,
        o3_24h,
        o3_8h,
        o3_8h_24h,
        co,
        co_24h,
        _source_sha256 as source_sha256,
        _source_file as source_file,
        _source_row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
