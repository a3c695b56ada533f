-- 特种设备检验结果（现行）: the rows of the latest delivery of each slot (检验机构 × month). A
-- corrected re-delivery replaces its slot's rows; the replaced rows stay in staging as history.
-- Incremental by delivered file: a run writes only the slots that received a file (macro
-- current_delivery_rows).

{{ current_delivery_config('special_equipment') }}

{{ current_delivery_rows('stg_raw__special_equipment', 'special_equipment') }}
