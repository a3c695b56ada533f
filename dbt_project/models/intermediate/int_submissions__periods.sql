-- 报送期间: one row per reporting period (Q1–Q4 and the annual report Y) of every assessment
-- year (dim_assessment_years) and of every other year a received version names (a mistyped
-- 2099Q1 keeps its label and due date in fct_submission_versions, but is no obligation).
-- The one place in dbt where a period's label, dates and due date are worked out from
-- ref_reporting_periods; SQL twin of orchestration/submissions/reporting.period().
--
-- is_owed: whether units owe a report for the period. Reports start with the plan, issued on
-- var plan_issued_on (2015-12-09): a quarter is owed only when it began on or after that day
-- (2015Q1–Q3 had closed, 2015Q4 was nearly over and is covered by the annual summary due
-- ten days after it); the annual summary is owed for every assessment year that ends after
-- it, so 2015's first report is the 2015 年度总结.

with

periods as (

    select * from {{ ref('ref_reporting_periods') }}

),

assessment_years as (

    select assessment_year as period_year from {{ ref('dim_assessment_years') }}

),

version_years as (

    select distinct period_year
    from {{ ref('stg_raw__submission_versions') }}
    where period_year is not null

),

years as (

    select
        all_years.period_year,
        bool_or(all_years.is_assessment_year) as is_assessment_year
    from (
        select
            period_year,
            true as is_assessment_year
        from assessment_years
        union all
        select
            period_year,
            false as is_assessment_year
        from version_years
    ) as all_years
    group by all_years.period_year

),

year_periods as (

    select
        years.period_year,
        years.is_assessment_year,
        periods.period_kind,
        periods.period_label as kind_label,
        periods.sort_order,
        periods.is_annual,
        periods.due_days_after_end,
        make_date(
            years.period_year,
            cast(split_part(periods.period_start_mmdd, '-', 1) as integer),
            cast(split_part(periods.period_start_mmdd, '-', 2) as integer)
        ) as period_start,
        make_date(
            years.period_year,
            cast(split_part(periods.period_end_mmdd, '-', 1) as integer),
            cast(split_part(periods.period_end_mmdd, '-', 2) as integer)
        ) as period_end
    from years
    cross join periods

)

select
    cast(period_year as varchar) || period_kind as period_code,
    cast(period_year as integer) as period_year,
    period_kind,
    cast(period_year as varchar) || '年' || kind_label as period_label,
    cast(sort_order as integer) as period_sort_order,
    is_annual,
    period_start,
    period_end,
    cast(period_end + cast(due_days_after_end as integer) as date) as due_date,
    is_assessment_year,
    is_assessment_year
    and (
        (is_annual and period_end >= cast('{{ var("plan_issued_on") }}' as date))
        or period_start >= cast('{{ var("plan_issued_on") }}' as date)
    ) as is_owed
from year_periods
