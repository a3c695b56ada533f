{#- Whether a KPI value meets its target, by the catalogue's comparator vocabulary
    (docs/kpi-catalogue.md). Returns 'met', 'not_met' or 'no_data'; a year-on-year
    comparator has no data in a year without a prior-year value. -#}
{% macro kpi_status(comparator, actual, target, prior) -%}
case
    when {{ actual }} is null then 'no_data'
    when {{ comparator }} = 'gte' then
        case when {{ actual }} >= {{ target }} then 'met' else 'not_met' end
    when {{ comparator }} = 'lte' then
        case when {{ actual }} <= {{ target }} then 'met' else 'not_met' end
    when {{ comparator }} = 'eq' then
        case when {{ actual }} = {{ target }} then 'met' else 'not_met' end
    when {{ comparator }} = 'zero_events' then
        case when {{ actual }} = 0 then 'met' else 'not_met' end
    when {{ comparator }} = 'is_true' then
        case when {{ actual }} >= 1 then 'met' else 'not_met' end
    when {{ prior }} is null then 'no_data'
    when {{ comparator }} = 'increase_yoy' then
        case when {{ actual }} - {{ prior }} > coalesce({{ target }}, 0) then 'met' else 'not_met' end
    when {{ comparator }} = 'decrease_yoy' then
        case when {{ prior }} - {{ actual }} > coalesce({{ target }}, 0) then 'met' else 'not_met' end
    when {{ comparator }} = 'increase_pp_yoy' then
        case when {{ actual }} - {{ prior }} >= {{ target }} then 'met' else 'not_met' end
    when {{ comparator }} = 'increase_pct_yoy' then
        case
            when {{ prior }} = 0 then 'no_data'
            when 100.0 * ({{ actual }} - {{ prior }}) / {{ prior }} >= {{ target }} then 'met'
            else 'not_met'
        end
    else 'no_data'
end
{%- endmacro %}

{% macro kpi_status_label(status) -%}
case {{ status }}
    when 'met' then '达标'
    when 'not_met' then '未达标'
    when 'not_assessed' then '不考核'
    else '暂无数据'
end
{%- endmacro %}
