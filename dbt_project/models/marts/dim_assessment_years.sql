-- 考核年度: every year from the plan year to the latest year with data: a KPI value, or a
-- submission (accepted or returned) for a period of that year. A submission counts only for a
-- year it was received in or after, so a mistyped period (2099Q1) cannot add decades.

with

kpi_years as (

    select max(kpi_year) as last_year from {{ ref('int_kpi_values__unioned') }}

),

submission_years as (

    select max(period_year) as last_year
    from {{ ref('stg_raw__submission_versions') }}
    where
        status in ('accepted', 'returned')
        and period_year <= year(received_on)

),

bounds as (

    select
        {{ var('plan_year') }} as first_year,
        greatest(
            {{ var('plan_year') }},
            coalesce(kpi_years.last_year, {{ var('plan_year') }}),
            coalesce(submission_years.last_year, {{ var('plan_year') }})
        ) as last_year
    from kpi_years
    cross join submission_years

)

select cast(unnest(range(first_year, last_year + 1)) as integer) as assessment_year
from bounds
