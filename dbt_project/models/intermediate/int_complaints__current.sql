-- 申诉举报工单（现行）: the rows of the latest export of each slot (hotline × month of
-- registration). Each re-export replaces its slot's rows with the updated statuses; the replaced
-- rows stay in staging as history.

{{ current_delivery_rows('stg_raw__complaints', 'complaints') }}
