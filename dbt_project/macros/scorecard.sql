{#- One scorecard mart (fct_county_scorecard, fct_unit_scorecard): the scores of one
    scorecard of int_assessment__scores with the unit's names and the rank movement in words. -#}
{% macro scorecard(scorecard_name) -%}
with

scores as (

    select * from {{ ref('int_assessment__scores') }}
    where scorecard = '{{ scorecard_name }}'

),

units as (

    select * from {{ ref('ref_units') }}

)

select
    scores.assessment_year,
    scores.unit_code,
    units.full_name as unit_name,
    units.short_name as unit_short_name,
    units.unit_type,
    units.county_code,
    scores.kpi_score,
    scores.task_score,
    scores.submission_score,
    scores.total_score,
    scores.score_rank,
    scores.units_ranked,
    scores.prior_total_score,
    scores.prior_rank,
    scores.score_change,
    scores.rank_change,
    case
        when scores.rank_change > 0 then '上升' || scores.rank_change || '位'
        when scores.rank_change < 0 then '下降' || (-scores.rank_change) || '位'
        when scores.rank_change = 0 then '持平'
        else '无上年排名'
    end as rank_movement,
    scores.items_total,
    scores.items_counted
from scores
inner join units on scores.unit_code = units.unit_code
{%- endmacro %}
