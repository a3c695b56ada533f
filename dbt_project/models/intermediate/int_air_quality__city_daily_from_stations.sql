-- STUB of an interface model: the city's daily values derived from the station hourly feed
-- (air_quality_hourly), built by that feed. This stub has the interface's exact columns and no
-- rows, so the daily PM2.5 feed builds on its own; the lead replaces it at merge.
select
    cast(null as date) as obs_date,
    cast(null as double) as pm25,
    cast(null as integer) as aqi,
    cast(null as boolean) as is_good_day,
    cast(null as integer) as stations_valid,
    cast(null as bigint) as source_rows
where false
