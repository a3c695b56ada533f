-- 服务质量满意度 (KPI SERVICE_SATISFACTION): per year of 调查结束日期, for the city and each
-- county with county samples, the pooled top-2-box share of int_service_satisfaction__pooled,
-- or its sample-weighted mean score where the scope has no share-measured respondents
-- (measure_used there says which; docs/feeds/service_satisfaction.md).

with

pooled as (

    select * from {{ ref('int_service_satisfaction__pooled') }}

)

select
    'SERVICE_SATISFACTION' as kpi_code,
    kpi_year,
    scope_type,
    scope_code,
    numerator,
    denominator,
    actual_value,
    cast(null as double) as reported_prior_value,
    source_rows
from pooled
