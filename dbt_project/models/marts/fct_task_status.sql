-- 任务完成情况: one row per task of the plan's annex (任务分解表) and assessment year: who
-- leads and shares it, and its status by each obligated unit's latest report of the year
-- (each unit's latest period with a current version; units report at different paces).
--   已完成 every lead unit (牵头单位) reports 已完成
--   逾期   otherwise, some unit is overdue (fct_task_progress.is_overdue)
--   进行中 otherwise, when at least one unit has reported
--   未报送 no obligated unit has reported the task this year

with

tasks as (

    select * from {{ ref('ref_tasks') }}

),

task_units as (

    select * from {{ ref('ref_task_units') }}

),

units as (

    select * from {{ ref('ref_units') }}

),

years as (

    select * from {{ ref('dim_assessment_years') }}

),

progress as (

    select * from {{ ref('fct_task_progress') }}

),

-- as the plan names them, collectives (成员单位) included
unit_lists as (

    select
        task_units.task_no,
        string_agg(units.short_name, '、' order by units.unit_code)
        filter (where task_units.role = 'lead') as lead_units,
        string_agg(units.short_name, '、' order by units.unit_code)
        filter (where task_units.role = 'responsible') as responsible_units
    from task_units
    inner join units on task_units.unit_code = units.unit_code
    group by task_units.task_no

),

obligated as (

    select
        task_no,
        period_year,
        count(distinct unit_code) as units_obligated,
        count(distinct unit_code) filter (where role = 'lead') as lead_units_obligated
    from progress
    group by task_no, period_year

),

latest as (

    select
        task_no,
        period_year,
        arg_max(period_code, period_sort_order) as latest_period_code,
        count(*) as units_reported,
        count(*) filter (where status = '未开始') as units_not_started,
        count(*) filter (where status = '进行中') as units_in_progress,
        count(*) filter (where status = '已完成') as units_completed,
        count(*) filter (where status = '逾期') as units_reporting_overdue,
        count(*) filter (where is_overdue) as units_overdue,
        count(*) filter (where completed_late) as units_completed_late,
        count(*) filter (where role = 'lead' and status = '已完成') as lead_units_completed,
        avg(percent_complete) as avg_percent_complete
    from progress
    where is_latest_period and report_state = 'reported'
    group by task_no, period_year

),

joined as (

    select
        tasks.task_no,
        years.assessment_year,
        tasks.task_theme,
        tasks.content,
        tasks.plan_section,
        {{ task_deadline_in('tasks.deadline', 'years.assessment_year') }} as deadline,
        tasks.deadline_text,
        unit_lists.lead_units,
        unit_lists.responsible_units,
        latest.latest_period_code,
        coalesce(obligated.units_obligated, 0) as units_obligated,
        coalesce(obligated.lead_units_obligated, 0) as lead_units_obligated,
        coalesce(latest.units_reported, 0) as units_reported,
        coalesce(latest.units_not_started, 0) as units_not_started,
        coalesce(latest.units_in_progress, 0) as units_in_progress,
        coalesce(latest.units_completed, 0) as units_completed,
        coalesce(latest.units_reporting_overdue, 0) as units_reporting_overdue,
        coalesce(latest.units_overdue, 0) as units_overdue,
        coalesce(latest.units_completed_late, 0) as units_completed_late,
        coalesce(latest.lead_units_completed, 0) as lead_units_completed,
        latest.avg_percent_complete
    from tasks
    cross join years
    left join unit_lists on tasks.task_no = unit_lists.task_no
    left join obligated
        on tasks.task_no = obligated.task_no and years.assessment_year = obligated.period_year
    left join latest
        on tasks.task_no = latest.task_no and years.assessment_year = latest.period_year

)

select
    cast(task_no as integer) as task_no,
    cast(assessment_year as integer) as assessment_year,
    task_theme,
    content,
    plan_section,
    deadline,
    deadline_text,
    lead_units,
    responsible_units,
    case
        when units_reported = 0 then '未报送'
        when lead_units_obligated > 0 and lead_units_completed = lead_units_obligated then '已完成'
        when units_overdue > 0 then '逾期'
        else '进行中'
    end as overall_status,
    latest_period_code,
    cast(units_obligated as integer) as units_obligated,
    cast(lead_units_obligated as integer) as lead_units_obligated,
    cast(units_reported as integer) as units_reported,
    cast(units_obligated - units_reported as integer) as units_not_reported,
    cast(units_not_started as integer) as units_not_started,
    cast(units_in_progress as integer) as units_in_progress,
    cast(units_completed as integer) as units_completed,
    cast(units_reporting_overdue as integer) as units_reporting_overdue,
    cast(units_overdue as integer) as units_overdue,
    cast(units_completed_late as integer) as units_completed_late,
    cast(lead_units_completed as integer) as lead_units_completed,
    round(avg_percent_complete, 1) as avg_percent_complete
from joined
