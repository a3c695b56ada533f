-- 抽检抽查结果（现行）: the rows of the latest delivery of each slot (stream × month). A
-- corrected re-delivery replaces its slot's rows; the replaced rows stay in staging as history.

{{ current_delivery_rows('stg_raw__spot_checks', 'spot_checks') }}
