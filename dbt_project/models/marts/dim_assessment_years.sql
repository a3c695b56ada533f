-- 考核年度: every year from the plan year to the latest year with any KPI value.

with

bounds as (

    select
        {{ var('plan_year') }} as first_year,
        greatest({{ var('plan_year') }}, coalesce(max(kpi_year), {{ var('plan_year') }}))
            as last_year
    from {{ ref('int_kpi_values__unioned') }}

)

select cast(unnest(range(first_year, last_year + 1)) as integer) as assessment_year
from bounds
