-- 质量安全事件（现行）: the rows of the latest delivery of each slot (牵头部门 × month). A
-- correction (a late-recognised incident, an upgraded level) replaces its slot's rows; a 零报告
-- correction empties the slot; the replaced rows stay in staging as history.

{{ current_delivery_rows('stg_raw__incidents', 'incidents') }}
