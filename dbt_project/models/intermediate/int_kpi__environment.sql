-- 环境状况持续好转 (ENVIRONMENT_CONTINUOUS_IMPROVEMENT), city, per year: derived from the four
-- environmental KPIs' city values of the year and the year before (catalogue interpretation):
--   PM2.5 年均浓度 lower than the year before              (AIR_PM25_ANNUAL_MEAN, actual)
--   饮用水源地水质达标率 not lower                           (DRINKING_WATER_COMPLIANCE_RATE)
--   市区污水处理率 not lower                                  (URBAN_SEWAGE_TREATMENT_RATE)
--   出境优于入境的河流数 not fewer                            (SURFACE_WATER_OUTBOUND_BETTER, numerator)
-- numerator = components met, denominator = components that can be judged (both years have a
-- value); the KPI is 1 when all four are met, 0 when all four are judged and one is not, and
-- has no value while any component cannot be judged (never a guess).

{#- model, KPI, the measure compared year on year (rivers: their count, only in a year where
    some river could be evaluated), and how: lower, or not lower -#}
{% set components = [
    ('int_kpi__air_quality', 'AIR_PM25_ANNUAL_MEAN', 'actual_value', 'lower'),
    ('int_kpi__surface_water', 'SURFACE_WATER_OUTBOUND_BETTER',
     'case when actual_value is not null then numerator end', 'not_lower'),
    ('int_kpi__drinking_water', 'DRINKING_WATER_COMPLIANCE_RATE', 'actual_value', 'not_lower'),
    ('int_kpi__sewage', 'URBAN_SEWAGE_TREATMENT_RATE', 'actual_value', 'not_lower'),
] %}

with

components as (

    {% for model, code, measure, _ in components %}
        select
            kpi_code,
            kpi_year,
            source_rows,
            {{ measure }} as measure
        from {{ ref(model) }}
        where scope_type = 'city' and kpi_code = '{{ code }}'
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

years as (

    select distinct kpi_year from components

),

expected as (

    select
        years.kpi_year,
        codes.kpi_code,
        codes.must_fall
    from years
    cross join (
        values
        {% for _, code, _, rule in components %}
            ('{{ code }}', {{ 'true' if rule == 'lower' else 'false' }})
            {%- if not loop.last %},{% endif %}
        {% endfor %}
    ) as codes (kpi_code, must_fall)

),

judged as (

    select
        expected.kpi_year,
        expected.kpi_code,
        coalesce(this_year.source_rows, 0) + coalesce(prior_year.source_rows, 0) as source_rows,
        case
            when this_year.measure is null or prior_year.measure is null then null
            when expected.must_fall then this_year.measure < prior_year.measure
            else this_year.measure >= prior_year.measure
        end as is_met
    from expected
    left join components as this_year
        on
            expected.kpi_code = this_year.kpi_code
            and expected.kpi_year = this_year.kpi_year
    left join components as prior_year
        on
            expected.kpi_code = prior_year.kpi_code
            and expected.kpi_year - 1 = prior_year.kpi_year

),

yearly as (

    select
        kpi_year,
        count(*) filter (where is_met) as components_met,
        count(is_met) as components_judged,
        count(*) as components_expected,
        sum(source_rows) as source_rows
    from judged
    group by kpi_year

)

select
    'ENVIRONMENT_CONTINUOUS_IMPROVEMENT' as kpi_code,
    cast(kpi_year as integer) as kpi_year,
    'city' as scope_type,
    '{{ var("city_code") }}' as scope_code,
    cast(components_met as double) as numerator,
    cast(components_judged as double) as denominator,
    case
        when components_judged = components_expected
            then cast(components_met = components_expected as double)
    end as actual_value,
    cast(null as double) as reported_prior_value,
    cast(source_rows as bigint) as source_rows
from yearly
