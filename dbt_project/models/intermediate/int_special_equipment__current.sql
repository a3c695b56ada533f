-- 特种设备检验结果（现行）: the rows of the latest delivery of each slot (检验机构 × month). A
-- corrected re-delivery replaces its slot's rows; the replaced rows stay in staging as history.

{{ current_delivery_rows('stg_raw__special_equipment', 'special_equipment') }}
