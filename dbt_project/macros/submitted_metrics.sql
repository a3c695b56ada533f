{#- The counted rows of the submitted KPIs (ref_kpi_catalogue.source_feed = 'submissions'), as
    the CTEs of one with clause ending in kpi_rows: one row per (metric row of a current
    accepted annual version, KPI value it is counted in), with the reported figures.
    int_kpi__submitted_metrics aggregates kpi_rows and int_kpi_lineage__submitted_metrics lists
    them, so a value and its lineage cannot disagree. -#}
{% macro submitted_metric_kpi_rows() -%}
catalogue as (

    select
        kpi_code,
        scope,
        comparator,
        owner_unit_code,
        {{ submission_metric_kind('unit', 'numerator') }} as metric_kind
    from {{ ref('ref_kpi_catalogue') }}
    where source_feed = 'submissions'

),

units as (

    select * from {{ ref('ref_units') }}

),

current_annual_versions as (

    select * from {{ ref('int_submissions__versions_ranked') }}
    where is_current and period_kind = 'Y'

),

metric_values as (

    select * from {{ ref('stg_raw__submission_metric_values') }}

),

-- every unit expected to report each KPI
reporters as (

    select
        catalogue.kpi_code,
        units.unit_code,
        units.county_code
    from catalogue
    inner join units
        on
            catalogue.owner_unit_code = units.unit_code
            or (catalogue.owner_unit_code = 'GXSQZF' and units.unit_type = 'county_government')
    where units.unit_type <> 'collective'

),

expected as (

    select
        kpi_code,
        count(*) as expected_reporters
    from reporters
    group by kpi_code

),

reported as (

    select
        metric_values.kpi_code,
        current_annual_versions.period_year as kpi_year,
        reporters.unit_code,
        reporters.county_code,
        catalogue.scope,
        catalogue.comparator,
        catalogue.metric_kind,
        metric_values.metric_value,
        metric_values.prior_value,
        case
            when catalogue.metric_kind in ('rate', 'ratio') then metric_values.numerator
        end as numerator,
        case
            when catalogue.metric_kind in ('rate', 'ratio') then metric_values.denominator
        end as denominator,
        metric_values.source_sha256,
        metric_values.source_row
    from metric_values
    inner join current_annual_versions
        on metric_values.source_sha256 = current_annual_versions.sha256
    inner join reporters
        on
            metric_values.kpi_code = reporters.kpi_code
            and metric_values.unit_code = reporters.unit_code
    inner join catalogue on metric_values.kpi_code = catalogue.kpi_code
    where metric_values.metric_value is not null

),

-- what a city value is computed over: a rate or ratio needs 分子 and 分母 to be pooled
city_inputs as (

    select * from reported
    where
        (metric_kind in ('rate', 'ratio') and numerator is not null and denominator is not null)
        or metric_kind in ('boolean', 'count', 'rank')

),

-- a city value exists only when every expected reporter is among its inputs
complete_city as (

    select
        city_inputs.kpi_code,
        city_inputs.kpi_year
    from city_inputs
    inner join expected on city_inputs.kpi_code = expected.kpi_code
    group by city_inputs.kpi_code, city_inputs.kpi_year, expected.expected_reporters
    having count(distinct city_inputs.unit_code) = expected.expected_reporters

),

kpi_rows as (

    select
        kpi_code,
        kpi_year,
        'county' as scope_type,
        county_code as scope_code,
        scope,
        comparator,
        metric_kind,
        metric_value,
        prior_value,
        numerator,
        denominator,
        source_sha256,
        source_row
    from reported
    where scope = 'county' and county_code is not null
    union all
    select
        city_inputs.kpi_code,
        city_inputs.kpi_year,
        'city' as scope_type,
        '{{ var("city_code") }}' as scope_code,
        city_inputs.scope,
        city_inputs.comparator,
        city_inputs.metric_kind,
        city_inputs.metric_value,
        city_inputs.prior_value,
        city_inputs.numerator,
        city_inputs.denominator,
        city_inputs.source_sha256,
        city_inputs.source_row
    from city_inputs
    inner join complete_city
        on
            city_inputs.kpi_code = complete_city.kpi_code
            and city_inputs.kpi_year = complete_city.kpi_year

)
{%- endmacro %}
