-- 服务质量满意度测评结果（现行）: the rows of the latest delivery of each slot (institute ×
-- month). A corrected re-delivery replaces its slot's rows; the replaced rows stay in staging.

{{ current_delivery_rows('stg_raw__service_satisfaction', 'service_satisfaction') }}
