-- 考核得分项 · 指标: one row per scorecard unit, assessment year and KPI it answers for, with the
-- KPI's status and the share of the item's weight it earns (docs/assessment.md):
--   county scorecard: every county row of fct_kpi_facts — its computed county values and the
--     county-scope catalogue KPIs it has no value for (no data) — except shares of city-wide
--     totals (不考核);
--   unit scorecard: the city value of every KPI the unit owns (ref_kpi_catalogue.owner_unit_code),
--     collectives (各县(市、区)政府 …) excluded: they are scored in the county scorecard.

with

facts as (

    select * from {{ ref('fct_kpi_facts') }}

),

rubric as (

    select * from {{ ref('ref_assessment_rubric') }}
    where item_type = 'kpi'

),

units as (

    select * from {{ ref('ref_units') }}

),

county_items as (

    select
        'county' as scorecard,
        units.unit_code,
        facts.*
    from facts
    inner join units
        on
            facts.scope_code = units.county_code
            and units.unit_type = 'county_government'
    where facts.scope_type = 'county' and facts.status != 'not_assessed'

),

unit_items as (

    select
        'unit' as scorecard,
        units.unit_code,
        facts.*
    from facts
    inner join units on facts.owner_unit_code = units.unit_code
    where
        facts.scope_type = 'city'
        and facts.target_scope = 'city'
        and not units.is_collective
        and units.unit_type != 'county_government'

),

joined as (

    select
        items.scorecard,
        items.unit_code,
        items.assessment_year,
        items.kpi_code,
        items.kpi_name,
        items.comparator,
        items.source_feed,
        items.status,
        items.actual_value,
        items.target_value,
        coalesce(rubric.weight, 1) as item_weight
    from (
        select * from county_items
        union all
        select * from unit_items
    ) as items
    left join rubric on items.kpi_code = rubric.item_code

),

scored as (

    select
        *,
        case
            when status = 'met' then {{ assessment_rule('kpi_met') }}
            -- partial attainment: only measured quantities against a numeric target
            when status = 'not_met' and comparator in ('gte', 'eq') and target_value > 0
                then
                    least(1.0, greatest(0.0, actual_value / target_value))
                    * {{ assessment_rule('kpi_partial_cap') }}
            when status = 'not_met' and comparator = 'lte' and actual_value > 0
                then
                    least(1.0, greatest(0.0, target_value / actual_value))
                    * {{ assessment_rule('kpi_partial_cap') }}
            when status = 'not_met' then 0.0
            -- a unit's own report missing is the unit's; a feed not yet delivered is not
            when status = 'no_data' and source_feed = 'submissions' and actual_value is null
                then {{ assessment_rule('kpi_no_data_submitted') }}
        end as score_rate
    from joined

)

select
    scorecard,
    unit_code,
    cast(assessment_year as integer) as assessment_year,
    'kpi' as component,
    kpi_code as item_code,
    kpi_name as item_label,
    status,
    actual_value,
    target_value,
    cast(item_weight as double) as item_weight,
    score_rate,
    score_rate is not null as is_counted,
    case
        when status = 'no_data' and score_rate is null then '监测数据暂缺，不计入'
        when status = 'no_data' then '自报数据缺失，记0分'
        when status = 'not_met' and score_rate > 0 then '未达标，按完成程度得分'
    end as score_note
from scored
