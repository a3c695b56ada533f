-- Lineage of the incident KPIs (区域性、系统性质量安全事件数, 重大及以上旅游质量事故数, 学校食物中毒
-- 事件数, 工程质量事故调查处理率): one row per current incident row counted in a value, from the
-- same counted rows as int_kpi__incidents (macro incidents_kpi_rows): a count lists its events,
-- the rate its construction incidents (the denominator). A value of 0 events lists none.

with

{{ incidents_kpi_rows() }}

select
    cast(kpi_code as varchar) as kpi_code,
    cast(kpi_year as integer) as kpi_year,
    cast(scope_type as varchar) as scope_type,
    cast(scope_code as varchar) as scope_code,
    'incidents' as feed,
    cast(source_sha256 as varchar) as source_sha256,
    cast(source_row as integer) as source_row,
    cast(null as varchar) as source_part
from kpi_rows
