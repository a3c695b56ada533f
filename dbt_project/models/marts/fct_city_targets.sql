-- 全市目标完成情况: every KPI of the catalogue for every assessment year, with the
-- city-wide value where one exists, and "暂无数据" with the reason where none does (its feed
-- is not integrated yet, no data this year, no accepted annual report for a reported KPI, or
-- a rate with nothing to count this year: 不适用).

with

catalogue as (

    select * from {{ ref('ref_kpi_catalogue') }}

),

years as (

    select * from {{ ref('dim_assessment_years') }}

),

city_values as (

    select * from {{ ref('fct_kpi_values') }}
    where scope_type = 'city'

),

kpis_with_data as (

    select distinct kpi_code from {{ ref('fct_kpi_values') }}

),

grid as (

    select
        catalogue.kpi_code,
        catalogue.kpi_name,
        catalogue.category,
        years.assessment_year,
        catalogue.unit,
        catalogue.comparator,
        catalogue.target_value,
        catalogue.scope as target_scope,
        catalogue.owner_unit_code,
        catalogue.source_feed,
        catalogue.plan_clause,
        catalogue.period_rule,
        city_values.actual_value,
        city_values.numerator,
        city_values.denominator,
        city_values.prior_year_value,
        city_values.prior_value_source,
        city_values.yoy_change,
        coalesce(city_values.status, 'no_data') as status,
        coalesce(city_values.source_rows, 0) as source_rows,
        kpis_with_data.kpi_code is not null as kpi_has_data
    from catalogue
    cross join years
    left join city_values
        on
            catalogue.kpi_code = city_values.kpi_code
            and years.assessment_year = city_values.kpi_year
    left join kpis_with_data on catalogue.kpi_code = kpis_with_data.kpi_code

)

select
    kpi_code,
    kpi_name,
    category,
    cast(assessment_year as integer) as assessment_year,
    unit,
    comparator,
    cast(target_value as double) as target_value,
    target_scope,
    owner_unit_code,
    source_feed,
    plan_clause,
    period_rule,
    cast(actual_value as double) as actual_value,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    cast(prior_year_value as double) as prior_year_value,
    prior_value_source,
    cast(yoy_change as double) as yoy_change,
    status,
    {{ kpi_status_label('status') }} as status_label,
    case
        -- reported KPIs are integrated as a whole: no value means no usable annual report yet
        when actual_value is null and source_feed = 'submissions' and owner_unit_code = 'GXSQZF'
            then '暂无数据：尚有县级单位的本年度年度总结未报送或未受理'
        when actual_value is null and source_feed = 'submissions'
            then '暂无数据：责任单位的本年度年度总结未报送或未受理'
        when not kpi_has_data then '暂无数据：指标尚未接入（数据源 ' || source_feed || '）'
        -- e.g. no major hazard found: the rate is not applicable, which is not a failure
        when actual_value is null and denominator = 0
            then '不适用：本年度无应计对象（分母为0），不计为未达标'
        when actual_value is null then '暂无数据：本年度无可用数据'
        when status = 'no_data' and prior_year_value is null
            then '暂无判定：同比指标缺少上年数值'
        when status = 'no_data' then '暂无判定：上年数值为0，无法计算增幅'
    end as data_note,
    cast(source_rows as bigint) as source_rows
from grid
