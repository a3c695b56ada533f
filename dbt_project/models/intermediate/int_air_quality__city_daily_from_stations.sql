-- 城市日均PM2.5与AQI（由站点小时数据计算）: INTERFACE read by the air_quality_daily feed's
-- models; keep the name and the columns.

select
    obs_date,
    cast(pm25 as double) as pm25,
    cast(aqi as integer) as aqi,
    case when aqi is not null then is_good_day end as is_good_day,
    cast(stations_valid as integer) as stations_valid,
    cast(source_rows as bigint) as source_rows
from {{ ref('int_air_quality__area_daily') }}
where scope_type = 'city'
