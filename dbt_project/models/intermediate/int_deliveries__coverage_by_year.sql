-- How far into each year the data behind the KPIs reaches: per feed and calendar year, the
-- latest month with a current delivery (a yearly delivery, period YYYY, covers all twelve).
-- Submitted KPIs come from the annual report (年度总结) only, so their year is covered when a
-- current annual version exists. The early warning projects from this.

with

deliveries as (

    select * from {{ ref('int_deliveries__ranked') }}
    where is_current

),

annual_reports as (

    select * from {{ ref('int_submissions__versions_ranked') }}
    where is_current and period_kind = 'Y'

),

feed_months as (

    select
        feed,
        cast(substr(delivery_period, 1, 4) as integer) as data_year,
        max(
            case
                when length(delivery_period) = 4 then 12
                else cast(substr(delivery_period, 6, 2) as integer)
            end
        ) as months_covered
    from deliveries
    group by feed, cast(substr(delivery_period, 1, 4) as integer)

),

submission_months as (

    select
        'submissions' as feed,
        cast(period_year as integer) as data_year,
        12 as months_covered
    from annual_reports
    group by period_year

)

select
    feed,
    data_year,
    cast(months_covered as integer) as months_covered
from feed_months

union all

select
    feed,
    data_year,
    months_covered
from submission_months
