-- 考核得分项 · 任务: one row per unit obligated to a task (ref_task_units, collectives
-- excluded), task and assessment year, scored by the unit's latest report of the year
-- (fct_task_progress.is_latest_period; docs/assessment.md):
--   已完成 on time → task_completed; 已完成 after the deadline → task_completed_late;
--   overdue (reported 逾期, or not done at a period ending on or after the deadline) →
--   task_overdue; otherwise its reported 完成百分比, or task_in_progress_default;
--   no report of the task this year → task_not_reported.
-- A responsible (non-lead) unit's item weighs task_role_responsible of the task's weight.
-- County governments are scored in the county scorecard, every other unit in the unit one.

with

progress as (

    select * from {{ ref('fct_task_progress') }}

),

rubric as (

    select * from {{ ref('ref_assessment_rubric') }}
    where item_type = 'task'

),

latest as (

    select *
    from progress
    qualify row_number() over (
        partition by unit_code, task_no, period_year
        order by is_latest_period desc, period_sort_order desc
    ) = 1

),

scored as (

    select
        latest.*,
        coalesce(rubric.weight, 1)
        * case
            when latest.role = 'lead' then 1.0
            else {{ assessment_rule('task_role_responsible') }}
        end as item_weight,
        case
            when not latest.is_latest_period or latest.status is null then 'not_reported'
            when latest.status = '已完成' and coalesce(latest.completed_late, false)
                then 'completed_late'
            when latest.status = '已完成' then 'completed'
            when latest.is_overdue then 'overdue'
            else 'in_progress'
        end as item_state
    from latest
    left join rubric on cast(latest.task_no as varchar) = rubric.item_code

)

select
    case when unit_type = 'county_government' then 'county' else 'unit' end as scorecard,
    unit_code,
    cast(period_year as integer) as assessment_year,
    'task' as component,
    cast(task_no as varchar) as item_code,
    '任务' || task_no || '：' || task_theme || '（' || role_label || '）' as item_label,
    item_state as status,
    percent_complete as actual_value,
    cast(null as double) as target_value,
    cast(item_weight as double) as item_weight,
    case item_state
        when 'completed' then {{ assessment_rule('task_completed') }}
        when 'completed_late' then {{ assessment_rule('task_completed_late') }}
        when 'overdue' then {{ assessment_rule('task_overdue') }}
        when 'not_reported' then {{ assessment_rule('task_not_reported') }}
        else coalesce(
            least(1.0, greatest(0.0, percent_complete / 100.0)),
            {{ assessment_rule('task_in_progress_default') }}
        )
    end as score_rate,
    true as is_counted,
    case item_state
        when 'completed' then '按期完成'
        when 'completed_late' then '逾期完成'
        when 'overdue' then '逾期未完成'
        when 'not_reported' then '本年度未报送进展'
        else '进行中（' || coalesce(cast(percent_complete as varchar) || '%', '未报百分比') || '）'
    end as score_note
from scored
