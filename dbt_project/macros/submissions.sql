{#- Reporting periods and metric kinds of the submissions feed. SQL twins of
    orchestration/submissions/reporting.py (period(), metric_kind()); change both together. -#}

{#- Year of a period code such as 2015Q3 or 2015Y; null when the code is not one. -#}
{% macro period_year_of(period_code) -%}
try_cast(regexp_extract({{ period_code }}, '^([0-9]{4})(Q[1-4]|Y)$', 1) as integer)
{%- endmacro %}

{#- Kind of a period code: Q1 … Q4 or Y (年度总结); null when the code is not one. -#}
{% macro period_kind_of(period_code) -%}
nullif(regexp_extract({{ period_code }}, '^([0-9]{4})(Q[1-4]|Y)$', 2), '')
{%- endmacro %}

{#- How a catalogue KPI is reported: 是/否 → boolean; a numerator → rate (unit %) or ratio;
    位次 → rank; anything else → count. -#}
{% macro submission_metric_kind(unit, numerator) -%}
case
    when {{ unit }} = '是/否' then 'boolean'
    when coalesce({{ numerator }}, '') <> '' then
        case when {{ unit }} = '%' then 'rate' else 'ratio' end
    when {{ unit }} = '位次' then 'rank'
    else 'count'
end
{%- endmacro %}

{#- Today in Beijing (the calendar of due dates and receipt times), or var as_of_date when set
    (tests and re-runs of a past day). -#}
{% macro as_of_date() -%}
{%- if var('as_of_date', none) -%}
cast('{{ var("as_of_date") }}' as date)
{%- else -%}
cast(timezone('Asia/Shanghai', now()) as date)
{%- endif -%}
{%- endmacro %}
