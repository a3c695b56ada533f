-- 城市PM2.5日均浓度序列: one value per day. The city's published value (air_quality_daily)
-- when it was delivered for that day, else the value derived from the stations' hourly data;
-- a day with neither (or with no valid station value) has no row.

with

published as (

    select
        obs_date,
        pm25,
        cast(1 as bigint) as source_rows
    from {{ ref('int_air_quality_daily__current') }}

),

stations as (

    select
        obs_date,
        pm25,
        source_rows
    from {{ ref('int_air_quality__city_daily_from_stations') }}
    where pm25 is not null

),

combined as (

    select
        coalesce(published.obs_date, stations.obs_date) as obs_date,
        case
            when published.obs_date is not null then published.pm25 else stations.pm25
        end as pm25,
        case
            when published.obs_date is not null then 'published' else 'stations'
        end as pm25_source,
        case
            when published.obs_date is not null then published.source_rows
            else stations.source_rows
        end as source_rows
    from published
    full outer join stations on published.obs_date = stations.obs_date

)

select
    obs_date,
    cast(year(obs_date) as integer) as obs_year,
    cast(month(obs_date) as integer) as obs_month,
    pm25,
    pm25_source,
    source_rows
from combined
