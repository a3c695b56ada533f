-- 报送义务: who must report for which period, by when. One row per reporting unit and
-- period (Q1–Q4 and the annual report Y) of every assessment year. SQL twin of
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

periods as (

    select * from {{ ref('ref_reporting_periods') }}

),

years as (

    select * from {{ ref('dim_assessment_years') }}

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

),

year_periods as (

    select
        years.assessment_year as period_year,
        periods.period_kind,
        periods.sort_order,
        periods.is_annual,
        cast(years.assessment_year as varchar) || periods.period_kind as period_code,
        cast(years.assessment_year as varchar) || '年' || periods.period_label as period_label,
        cast(
            cast(years.assessment_year as varchar) || '-' || periods.period_start_mmdd as date
        ) as period_start,
        cast(
            cast(years.assessment_year as varchar) || '-' || periods.period_end_mmdd as date
        ) as period_end,
        periods.due_days_after_end
    from years
    cross join periods

)

select
    reporting_units.unit_code,
    reporting_units.full_name as unit_name,
    reporting_units.short_name as unit_short_name,
    reporting_units.unit_type,
    reporting_units.county_code,
    year_periods.period_code,
    cast(year_periods.period_year as integer) as period_year,
    year_periods.period_kind,
    year_periods.period_label,
    year_periods.sort_order as period_sort_order,
    year_periods.is_annual,
    year_periods.period_start,
    year_periods.period_end,
    cast(year_periods.period_end + year_periods.due_days_after_end as date) as due_date,
    cast(coalesce(task_counts.task_count, 0) as integer) as task_count,
    cast(coalesce(metric_counts.metric_count, 0) as integer) as metric_count
from reporting_units
cross join year_periods
left join task_counts on reporting_units.unit_code = task_counts.unit_code
left join metric_counts on reporting_units.unit_code = metric_counts.unit_code
