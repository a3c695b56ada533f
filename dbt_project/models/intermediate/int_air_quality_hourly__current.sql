-- 空气质量小时数据（现行）: the station-hours of the latest delivery of each day. A corrected
-- re-delivery replaces its day; the replaced rows stay in staging as history.
-- Incremental by delivered file: a run writes only the slots that received a file (macro
-- current_delivery_rows).

{{ current_delivery_config('air_quality_hourly') }}

{{ current_delivery_rows('stg_raw__air_quality_hourly', 'air_quality_hourly') }}
