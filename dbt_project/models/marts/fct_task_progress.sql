-- 任务进展明细: one row per task, obligated unit (ref_task_units, collectives excluded: they do
-- not report) and reporting period, with what the unit's CURRENT version of that period says.
-- The plan's deadlines (2015-12-31, 年底) recur every assessment year (macro task_deadline_in).
--   is_overdue     逾期: reported 逾期, or not 已完成 at a period ending on or after the
--                  deadline (Q4 and 年度总结); null when the unit has not reported the task
--   completed_late 逾期完成: 完成日期 after the deadline
--   is_latest_period: the unit's latest period of the year with a current version

with

obligations as (

    select * from {{ ref('int_submissions__obligations') }}

),

task_units as (

    select * from {{ ref('ref_task_units') }}

),

tasks as (

    select * from {{ ref('ref_tasks') }}

),

current_versions as (

    select * from {{ ref('int_submissions__versions_ranked') }}
    where is_current

),

progress as (

    select * from {{ ref('stg_raw__submission_task_progress') }}

),

obligated as (

    select
        task_units.task_no,
        tasks.task_theme,
        task_units.unit_code,
        obligations.unit_name,
        obligations.unit_short_name,
        obligations.unit_type,
        obligations.county_code,
        task_units.role,
        obligations.period_code,
        obligations.period_year,
        obligations.period_kind,
        obligations.period_label,
        obligations.period_sort_order,
        obligations.period_end,
        obligations.due_date,
        {{ task_deadline_in('tasks.deadline', 'obligations.period_year') }} as deadline
    from task_units
    inner join obligations on task_units.unit_code = obligations.unit_code
    inner join tasks on task_units.task_no = tasks.task_no

),

latest_periods as (

    select
        obligations.unit_code,
        obligations.period_year,
        max(obligations.period_sort_order) as latest_sort_order
    from obligations
    inner join current_versions
        on
            obligations.unit_code = current_versions.unit_code
            and obligations.period_code = current_versions.period_code
    group by obligations.unit_code, obligations.period_year

),

joined as (

    select
        obligated.*,
        current_versions.sha256 as current_sha256,
        current_versions.received_at as current_received_at,
        progress.status,
        progress.percent_complete,
        progress.completed_on,
        progress.progress_text,
        progress.evidence,
        progress.source_row,
        coalesce(obligated.period_sort_order = latest_periods.latest_sort_order, false)
            as is_latest_period
    from obligated
    left join current_versions
        on
            obligated.unit_code = current_versions.unit_code
            and obligated.period_code = current_versions.period_code
    left join progress
        on
            current_versions.sha256 = progress.source_sha256
            and obligated.task_no = progress.task_no
    left join latest_periods
        on
            obligated.unit_code = latest_periods.unit_code
            and obligated.period_year = latest_periods.period_year

)

select
    task_no,
    task_theme,
    unit_code,
    unit_name,
    unit_short_name,
    unit_type,
    county_code,
    role,
    case role when 'lead' then '牵头单位' else '责任单位' end as role_label,
    period_code,
    period_year,
    period_kind,
    period_label,
    period_sort_order,
    period_end,
    due_date,
    deadline,
    current_sha256,
    cast(current_received_at as timestamp) as current_received_at,
    case when status is null then 'not_reported' else 'reported' end as report_state,
    status,
    cast(percent_complete as double) as percent_complete,
    completed_on,
    progress_text,
    evidence,
    case
        when status is not null then status = '逾期' or (status <> '已完成' and period_end >= deadline)
    end as is_overdue,
    completed_on > deadline as completed_late,
    is_latest_period,
    source_row
from joined
