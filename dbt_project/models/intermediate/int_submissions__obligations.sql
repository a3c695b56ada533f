-- 报送义务: who must report for which period, by when. One row per reporting unit and
-- owed period (Q1–Q4 and the annual report Y) of every assessment year (the periods, their
-- dates, due dates and whether they are owed come from int_submissions__periods: nothing
-- is owed before the plan was issued on 2015-12-09, so 2015 owes only its 年度总结). SQL twin of
-- orchestration/submissions/reporting.py (reporting_units, periods_for_year); a test compares
-- the two.
--
-- A unit reports if it leads or shares a task (ref_task_units) or owns a catalogue KPI with
-- source_feed = 'submissions'. Collective units (成员单位, 各县(市、区)政府) name no one who
-- could sign a form: they do not report. KPIs owned by 各县(市、区)政府 (GXSQZF) are reported
-- by each of the 11 county-level governments.

with

units as (

    select * from {{ ref('ref_units') }}

),

task_units as (

    select * from {{ ref('ref_task_units') }}

),

submission_kpis as (

    select * from {{ ref('ref_kpi_catalogue') }}
    where source_feed = 'submissions'

),

-- the periods of every assessment year, dates and due dates worked out once
periods as (

    select * from {{ ref('int_submissions__periods') }}
    where is_owed

),

named_units as (

    select unit_code from task_units
    union
    select owner_unit_code as unit_code from submission_kpis

),

-- GXSQZF (各县(市、区)政府) stands for every county-level government
wanted_units as (

    select unit_code from named_units
    union
    select units.unit_code
    from units
    where
        units.unit_type = 'county_government'
        and exists (
            select 1 from named_units
            where named_units.unit_code = 'GXSQZF'
        )

),

reporting_units as (

    select units.*
    from units
    inner join wanted_units on units.unit_code = wanted_units.unit_code
    where units.unit_type <> 'collective'

),

task_counts as (

    select
        unit_code,
        count(*) as task_count
    from task_units
    group by unit_code

),

metric_counts as (

    select
        reporting_units.unit_code,
        count(*) as metric_count
    from reporting_units
    inner join submission_kpis
        on
            reporting_units.unit_code = submission_kpis.owner_unit_code
            or (
                submission_kpis.owner_unit_code = 'GXSQZF'
                and reporting_units.unit_type = 'county_government'
            )
    group by reporting_units.unit_code

)

select
    reporting_units.unit_code,
    reporting_units.full_name as unit_name,
    reporting_units.short_name as unit_short_name,
    reporting_units.unit_type,
    reporting_units.county_code,
    periods.period_code,
    periods.period_year,
    periods.period_kind,
    periods.period_label,
    periods.period_sort_order,
    periods.is_annual,
    periods.period_start,
    periods.period_end,
    periods.due_date,
    cast(coalesce(task_counts.task_count, 0) as integer) as task_count,
    cast(coalesce(metric_counts.metric_count, 0) as integer) as metric_count
from reporting_units
cross join periods
left join task_counts on reporting_units.unit_code = task_counts.unit_code
left join metric_counts on reporting_units.unit_code = metric_counts.unit_code
