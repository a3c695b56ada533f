{#- A KPI model's lineage (int_kpi_lineage__<name>: one row per source row counted in a value)
    lists exactly as many rows for every KPI value as the value's source_rows says, and no row
    for a value that does not exist: the lineage auditors read cannot drift from the KPI. -#}
{% test lineage_matches_source_rows(model, lineage) %}
with

kpi_values as (

    select kpi_code, kpi_year, scope_type, scope_code, source_rows
    from {{ model }}

),

lineage_rows as (

    select kpi_code, kpi_year, scope_type, scope_code, count(*) as lineage_rows
    from {{ lineage }}
    group by kpi_code, kpi_year, scope_type, scope_code

)

select *
from kpi_values
full outer join lineage_rows using (kpi_code, kpi_year, scope_type, scope_code)
where coalesce(kpi_values.source_rows, 0) != coalesce(lineage_rows.lineage_rows, 0)
{% endtest %}
