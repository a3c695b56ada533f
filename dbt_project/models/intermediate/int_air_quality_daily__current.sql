-- 城市PM2.5日均浓度（现行）: the rows of the latest delivery of each year. A corrected
-- re-delivery replaces its year; the replaced rows stay in staging as history.

{{ current_delivery_rows('stg_raw__air_quality_daily', 'air_quality_daily') }}
