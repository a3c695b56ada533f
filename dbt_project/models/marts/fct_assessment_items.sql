-- 考核得分明细: every scored item of the county and unit scorecards (KPIs, tasks, on-time
-- submissions), with its status, weight, the share of the weight it earns (score_rate 0–1)
-- and why; the scorecards are sums of these rows (docs/assessment.md).

with

items as (

    select * from {{ ref('int_assessment__kpi_items') }}
    union all
    select * from {{ ref('int_assessment__task_items') }}
    union all
    select * from {{ ref('int_assessment__submission_items') }}

),

units as (

    select * from {{ ref('ref_units') }}

),

weights as (

    select * from {{ ref('ref_assessment_weights') }}

)

select
    items.scorecard,
    items.assessment_year,
    items.unit_code,
    units.short_name as unit_name,
    items.component,
    weights.component_label,
    items.item_code,
    items.item_label,
    items.status,
    items.actual_value,
    items.target_value,
    items.item_weight,
    items.score_rate,
    items.is_counted,
    case when items.is_counted then items.item_weight * items.score_rate end as weighted_score,
    items.score_note
from items
inner join units on items.unit_code = units.unit_code
inner join weights
    on
        items.scorecard = weights.scorecard
        and items.component = weights.component
