{#- Reporting periods, metric kinds and task deadlines of the submissions feed. SQL twins of
    orchestration/submissions/reporting.py (period(), metric_kind(), task_deadline());
    change both together. -#}

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

{#- The deadline of a plan task (ref_tasks.deadline, written for the plan year var plan_year,
    e.g. 2015-12-31 年底) in an assessment year: the plan's tasks recur every year with the same
    calendar deadline, so 2015-12-31 becomes 2016-12-31 in 2016. SQL twin of
    orchestration/submissions/reporting.task_deadline; change both together. -#}
{% macro task_deadline_in(deadline_column, year_column) -%}
make_date(
    {{ year_column }} + year({{ deadline_column }}) - {{ var('plan_year') }},
    month({{ deadline_column }}),
    day({{ deadline_column }})
)
{%- endmacro %}
