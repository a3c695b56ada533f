-- 城市PM2.5日均浓度（已清洗）: every loaded delivery of the city's published daily series.

with

source as (

    select * from {{ source('raw', 'air_quality_daily') }}

),

renamed as (

    select
        obs_date,
        cast(year(obs_date) as integer) as obs_year,
        cast(month(obs_date) as integer) as obs_month,
        cast(source_year as integer) as source_year,
        cast(day_of_year as integer) as day_of_year,
        city_code,
        city_code_original,
        longitude,
        latitude,
        pm25,
        _source_sha256 as source_sha256,
        _source_file as source_file,
        _source_row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
