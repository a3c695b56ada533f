-- Lineage of 服务质量满意度 (int_kpi__service_satisfaction, one row per pooled value of
-- int_service_satisfaction__pooled): one row per current survey row counted in a value — the
-- scope's rows (service_satisfaction_scoped_rows, the pooled model's own scoping) of the
-- measure the value uses (measure_used) that have valid respondents (有效样本数 > 0). A row
-- without respondents adds nothing to either sum; a value without any (none) lists no row.

with

scoped as (

    {{ service_satisfaction_scoped_rows() }}

),

pooled as (

    select * from {{ ref('int_service_satisfaction__pooled') }}

)

select
    'SERVICE_SATISFACTION' as kpi_code,
    cast(pooled.kpi_year as integer) as kpi_year,
    pooled.scope_type,
    pooled.scope_code,
    cast('service_satisfaction' as varchar) as feed,
    scoped.source_sha256,
    cast(scoped.source_row as integer) as source_row,
    -- one file row is one survey cell (survey × sector × county)
    cast(null as varchar) as source_part
from pooled
inner join scoped
    on
        pooled.kpi_year = scoped.kpi_year
        and pooled.scope_type = scoped.scope_type
        and pooled.scope_code = scoped.scope_code
        and pooled.measure_used = scoped.measure
where scoped.sample_size > 0
