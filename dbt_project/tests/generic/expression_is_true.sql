{#- Every row satisfies a SQL boolean expression (as dbt_utils.expression_is_true; the
    platform installs no dbt packages from the hub, so the few generic tests it needs live here). -#}
{% test expression_is_true(model, expression) %}
select * from {{ model }} where not ({{ expression }})
{% endtest %}
