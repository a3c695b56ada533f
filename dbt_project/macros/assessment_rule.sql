{#- One scoring rule of the rubric (seed ref_assessment_rules, docs/assessment.md) as a scalar
    subquery, so every score reads its figure from the seed and none is written in SQL. -#}
{% macro assessment_rule(rule) -%}
(select cast(value as double) from {{ ref('ref_assessment_rules') }} where rule = '{{ rule }}')
{%- endmacro %}
