-- 抽检抽查结果（现行）: the rows of the latest delivery of each slot (stream × month). A
-- corrected re-delivery replaces its slot's rows; the replaced rows stay in staging as history.
-- Incremental by delivered file: a run writes only the slots that received a file (macro
-- current_delivery_rows).

{{ current_delivery_config('spot_checks') }}

{{ current_delivery_rows('stg_raw__spot_checks', 'spot_checks') }}
