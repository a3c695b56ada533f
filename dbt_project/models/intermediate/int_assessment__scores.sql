-- Score of every unit in each scorecard and year (docs/assessment.md): a component's score
-- rate is the weighted mean of its counted items; the total (0–100) is the components' rates
-- weighted by ref_assessment_weights, over the components the unit has counted items in (a
-- unit owning no KPI is scored on tasks and submissions alone, re-weighted). Rank 1 = best;
-- equal totals share a rank.

with

items as (

    select * from {{ ref('fct_assessment_items') }}

),

weights as (

    select * from {{ ref('ref_assessment_weights') }}

),

components as (

    select
        items.scorecard,
        items.assessment_year,
        items.unit_code,
        items.component,
        count(*) as items_total,
        count(*) filter (where items.is_counted) as items_counted,
        sum(items.weighted_score) / nullif(sum(items.item_weight) filter (
            where items.is_counted
        ), 0) as component_rate
    from items
    group by items.scorecard, items.assessment_year, items.unit_code, items.component

),

weighted as (

    select
        components.*,
        weights.weight as component_weight
    from components
    inner join weights
        on
            components.scorecard = weights.scorecard
            and components.component = weights.component

),

totals as (

    select
        scorecard,
        assessment_year,
        unit_code,
        max(component_rate) filter (where component = 'kpi') as kpi_rate,
        max(component_rate) filter (where component = 'task') as task_rate,
        max(component_rate) filter (where component = 'submission') as submission_rate,
        sum(items_total) as items_total,
        sum(items_counted) as items_counted,
        round(
            100.0 * sum(component_weight * component_rate) filter (
                where component_rate is not null
            ) / nullif(sum(component_weight) filter (where component_rate is not null), 0),
            2
        ) as total_score
    from weighted
    group by scorecard, assessment_year, unit_code

),

ranked as (

    select
        *,
        case
            when total_score is not null
                then rank() over (
                    partition by scorecard, assessment_year
                    order by total_score desc nulls last
                )
        end as score_rank
    from totals

),

with_prior as (

    select
        ranked.*,
        previous.total_score as prior_total_score,
        previous.score_rank as prior_rank
    from ranked
    left join ranked as previous
        on
            ranked.scorecard = previous.scorecard
            and ranked.unit_code = previous.unit_code
            and ranked.assessment_year - 1 = previous.assessment_year

)

select
    scorecard,
    assessment_year,
    unit_code,
    round(100.0 * kpi_rate, 2) as kpi_score,
    round(100.0 * task_rate, 2) as task_score,
    round(100.0 * submission_rate, 2) as submission_score,
    total_score,
    cast(score_rank as integer) as score_rank,
    cast(count(*) over (partition by scorecard, assessment_year) as integer) as units_ranked,
    prior_total_score,
    cast(prior_rank as integer) as prior_rank,
    round(total_score - prior_total_score, 2) as score_change,
    -- positive = moved up
    cast(prior_rank - score_rank as integer) as rank_change,
    cast(items_total as integer) as items_total,
    cast(items_counted as integer) as items_counted
from with_prior
