-- 指标事实表 (KPI facts): every catalogue KPI for every assessment year, at the city and — for a
-- county-scope KPI, or wherever a county value was computed — at each county, with its value,
-- target, prior year, status and, where there is no value, the reason (data_note). The
-- complete form of fct_kpi_values (which holds only computed values); fct_city_targets is its
-- city rows; the assessment scores read it.

with

catalogue as (

    select * from {{ ref('ref_kpi_catalogue') }}

),

years as (

    select * from {{ ref('dim_assessment_years') }}

),

counties as (

    select * from {{ ref('ref_counties') }}

),

units as (

    select * from {{ ref('ref_units') }}

),

kpi_values as (

    select * from {{ ref('fct_kpi_values') }}

),

kpis_with_data as (

    select distinct kpi_code from kpi_values

),

expected as (

    select
        catalogue.kpi_code,
        years.assessment_year,
        'city' as scope_type,
        '{{ var("city_code") }}' as scope_code,
        '{{ var("city_name") }}' as scope_name
    from catalogue
    cross join years

    union

    select
        catalogue.kpi_code,
        years.assessment_year,
        'county' as scope_type,
        counties.county_code as scope_code,
        counties.county_name as scope_name
    from catalogue
    cross join years
    cross join counties
    left join units on catalogue.owner_unit_code = units.unit_code
    -- a county-scope KPI of one county (霸州 申报国家级示范区) is expected of that county only
    where
        catalogue.scope = 'county'
        and (units.county_code is null or units.county_code = counties.county_code)

    union

    select
        kpi_values.kpi_code,
        kpi_values.kpi_year as assessment_year,
        kpi_values.scope_type,
        kpi_values.scope_code,
        kpi_values.scope_name
    from kpi_values
    inner join years on kpi_values.kpi_year = years.assessment_year

),

grid as (

    select
        expected.kpi_code,
        catalogue.kpi_name,
        expected.assessment_year,
        expected.scope_type,
        expected.scope_code,
        expected.scope_name,
        catalogue.unit,
        catalogue.comparator,
        catalogue.target_value,
        catalogue.scope as target_scope,
        catalogue.owner_unit_code,
        catalogue.source_feed,
        kpi_values.actual_value,
        kpi_values.numerator,
        kpi_values.denominator,
        kpi_values.prior_year_value,
        kpi_values.prior_value_source,
        kpi_values.yoy_change,
        coalesce(kpi_values.status, 'no_data') as status,
        coalesce(kpi_values.source_rows, 0) as source_rows,
        kpis_with_data.kpi_code is not null as kpi_has_data
    from expected
    inner join catalogue on expected.kpi_code = catalogue.kpi_code
    left join kpi_values
        on
            expected.kpi_code = kpi_values.kpi_code
            and expected.assessment_year = kpi_values.kpi_year
            and expected.scope_type = kpi_values.scope_type
            and expected.scope_code = kpi_values.scope_code
    left join kpis_with_data on expected.kpi_code = kpis_with_data.kpi_code

)

select
    kpi_code,
    kpi_name,
    cast(assessment_year as integer) as assessment_year,
    scope_type,
    scope_code,
    scope_name,
    unit,
    comparator,
    cast(target_value as double) as target_value,
    target_scope,
    owner_unit_code,
    source_feed,
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
        when
            actual_value is null and source_feed = 'submissions' and owner_unit_code = 'GXSQZF'
            and scope_type = 'city'
            then '暂无数据：尚有县级单位的本年度年度总结未报送或未受理'
        when actual_value is null and source_feed = 'submissions' and scope_type = 'county'
            then '暂无数据：该县级单位的本年度年度总结未报送或未受理'
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
        when status = 'not_assessed' then '不考核：县级单位承担全市总量目标的一部分，仅列示'
    end as data_note,
    cast(source_rows as bigint) as source_rows
from grid
