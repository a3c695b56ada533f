-- 市区污水处理月报（现行）: the rows of the latest delivery of each month. A corrected
-- re-delivery replaces its month's rows; the replaced rows stay in staging as history.

{{ current_delivery_rows('stg_raw__sewage', 'sewage') }}
