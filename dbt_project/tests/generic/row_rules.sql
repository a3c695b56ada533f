{#- Every row satisfies each rule, a SQL boolean expression (a rule that evaluates to null is
    satisfied, as in expression_is_true and accepted_values): one test for a table's row-level
    rules — required columns, value sets, ranges, and how its figures add up — instead of one
    test per column and rule. Returns one row per broken rule, with the rule and its failing
    rows. -#}
{% test row_rules(model, rules) %}
{%- for rule in rules %}
select
    '{{ rule | replace("'", "''") }}' as broken_rule,
    count(*) as failing_rows
from {{ model }}
where not ({{ rule }})
having count(*) > 0
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
{% endtest %}
