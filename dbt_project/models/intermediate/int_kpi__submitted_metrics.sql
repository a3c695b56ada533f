-- KPIs reported by the units themselves (ref_kpi_catalogue.source_feed = 'submissions'), per
-- year, from each reporting unit's CURRENT ACCEPTED ANNUAL report (period <year>Y, 年度总结).
-- Quarterly values and returned or superseded versions never count.
--
-- Who reports a KPI: its owner_unit_code, or every county-level government when the owner is
-- GXSQZF (各县(市、区)政府).
--   * county rows (catalogue scope county): one per reporting county, scope_code = its county code;
--   * one city row (scope_code = var city_code) per KPI and year, over the KPI's reporters:
--       - rate / ratio: pooled, sum(分子) / sum(分母) (× 100 for a rate);
--       - boolean / count / rank: the weakest reporter's value: the minimum, or the maximum
--         where lower is better (comparator lte, decrease_yoy, zero_events, e.g. a 位次). So a
--         target that says "every county …" is met city-wide exactly when the weakest county is;
--       both only when every expected reporter has a value (else no city row): a city value
--       over whichever counties happened to report would change with who reported, not with
--       quality.
--     A city-scope KPI has one reporter (its owner), so its city row is that unit's value.
--   * reported_prior_value: the reporter's 上年数值 (prior_value) from the same annual version,
--     on county rows and on the city row of a city-scope KPI; null on the city row of a
--     county-scope KPI (a pooled or weakest prior cannot be rebuilt from per-county values).

with

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
        end as denominator
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

by_county as (

    select
        kpi_code,
        kpi_year,
        'county' as scope_type,
        county_code as scope_code,
        numerator,
        denominator,
        metric_value as actual_value,
        prior_value as reported_prior_value,
        1 as source_rows
    from reported
    where scope = 'county' and county_code is not null

),

city_pooled as (

    select
        reported.kpi_code,
        reported.kpi_year,
        reported.metric_kind,
        sum(reported.numerator) as numerator,
        sum(reported.denominator) as denominator,
        case when reported.scope = 'city' then max(reported.prior_value) end
            as reported_prior_value,
        count(*) as source_rows
    from reported
    inner join expected on reported.kpi_code = expected.kpi_code
    where
        reported.metric_kind in ('rate', 'ratio')
        and reported.numerator is not null
        and reported.denominator is not null
    group by
        reported.kpi_code,
        reported.kpi_year,
        reported.scope,
        reported.metric_kind,
        expected.expected_reporters
    having count(distinct reported.unit_code) = expected.expected_reporters

),

city_weakest as (

    select
        reported.kpi_code,
        reported.kpi_year,
        case
            when reported.comparator in ('lte', 'decrease_yoy', 'zero_events')
                then max(reported.metric_value)
            else min(reported.metric_value)
        end as actual_value,
        case when reported.scope = 'city' then max(reported.prior_value) end
            as reported_prior_value,
        count(*) as source_rows
    from reported
    inner join expected on reported.kpi_code = expected.kpi_code
    where reported.metric_kind in ('boolean', 'count', 'rank')
    group by
        reported.kpi_code,
        reported.kpi_year,
        reported.scope,
        reported.comparator,
        expected.expected_reporters
    having count(distinct reported.unit_code) = expected.expected_reporters

),

city as (

    select
        kpi_code,
        kpi_year,
        'city' as scope_type,
        '{{ var("city_code") }}' as scope_code,
        numerator,
        denominator,
        case
            when metric_kind = 'rate' then 100.0 * numerator / nullif(denominator, 0)
            else numerator / nullif(denominator, 0)
        end as actual_value,
        reported_prior_value,
        source_rows
    from city_pooled
    union all
    select
        kpi_code,
        kpi_year,
        'city' as scope_type,
        '{{ var("city_code") }}' as scope_code,
        null as numerator,
        null as denominator,
        actual_value,
        reported_prior_value,
        source_rows
    from city_weakest

),

unioned as (

    select * from city
    union all
    select * from by_county

)

select
    kpi_code,
    cast(kpi_year as integer) as kpi_year,
    scope_type,
    scope_code,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    round(cast(actual_value as double), 4) as actual_value,
    cast(reported_prior_value as double) as reported_prior_value,
    cast(source_rows as bigint) as source_rows
from unioned
