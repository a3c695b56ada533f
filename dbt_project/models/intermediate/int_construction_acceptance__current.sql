-- 建设工程竣工验收（现行）: the rows of the latest delivery of each month. A corrected
-- re-delivery replaces its month's rows; the replaced rows stay in staging as history.

{{ current_delivery_rows('stg_raw__construction_acceptance', 'construction_acceptance') }}
