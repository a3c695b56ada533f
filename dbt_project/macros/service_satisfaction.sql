{#- The current service-satisfaction rows, each once per scope it counts in: the city, and
    the row's county when it has one. City-wide rows (no county) count for the city only; a
    city-wide row of a survey × sector that also has county rows is that survey's 全市 total
    (合计), so the city takes the county rows instead of counting respondents twice. One
    query for int_service_satisfaction__pooled (the values) and
    int_kpi_lineage__service_satisfaction (their rows), so both scope rows alike. -#}
{% macro service_satisfaction_scoped_rows() -%}
with

current_rows as (

    select * from {{ ref('int_service_satisfaction__current') }}

),

surveys_by_county as (

    select distinct
        institute,
        survey_id,
        sector_code
    from current_rows
    where not is_city_wide

),

city_rows as (

    select current_rows.*
    from current_rows
    left join surveys_by_county
        on
            current_rows.institute = surveys_by_county.institute
            and current_rows.survey_id = surveys_by_county.survey_id
            and current_rows.sector_code = surveys_by_county.sector_code
    where not current_rows.is_city_wide or surveys_by_county.survey_id is null

)

select
    survey_year as kpi_year,
    'city' as scope_type,
    '{{ var("city_code") }}' as scope_code,
    measure,
    sample_size,
    satisfied_count,
    satisfaction_score,
    source_sha256,
    source_row
from city_rows

union all

select
    survey_year as kpi_year,
    'county' as scope_type,
    county_code as scope_code,
    measure,
    sample_size,
    satisfied_count,
    satisfaction_score,
    source_sha256,
    source_row
from current_rows
where not is_city_wide
{%- endmacro %}
