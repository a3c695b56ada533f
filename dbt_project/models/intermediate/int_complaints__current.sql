-- 申诉举报工单（现行）: the rows of the latest export of each slot (hotline × month of
-- registration). Each re-export replaces its slot's rows with the updated statuses; the replaced
-- rows stay in staging as history.
-- Incremental by delivered file: a run writes only the slots that received a file (macro
-- current_delivery_rows).

{{ current_delivery_config('complaints') }}

{{ current_delivery_rows('stg_raw__complaints', 'complaints') }}
