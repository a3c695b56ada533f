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

-- The counted rows (one per reporter's metric row and value) are the macro
-- submitted_metric_kpi_rows, shared with int_kpi_lineage__submitted_metrics; source_rows is
-- their number.

with

{{ submitted_metric_kpi_rows() }},

by_county as (

    select
        kpi_code,
        kpi_year,
        scope_type,
        scope_code,
        numerator,
        denominator,
        metric_value as actual_value,
        prior_value as reported_prior_value,
        1 as source_rows
    from kpi_rows
    where scope_type = 'county'

),

city_pooled as (

    select
        kpi_code,
        kpi_year,
        metric_kind,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        case when scope = 'city' then max(prior_value) end as reported_prior_value,
        count(*) as source_rows
    from kpi_rows
    where scope_type = 'city' and metric_kind in ('rate', 'ratio')
    group by kpi_code, kpi_year, scope, metric_kind

),

city_weakest as (

    select
        kpi_code,
        kpi_year,
        case
            when comparator in ('lte', 'decrease_yoy', 'zero_events') then max(metric_value)
            else min(metric_value)
        end as actual_value,
        case when scope = 'city' then max(prior_value) end as reported_prior_value,
        count(*) as source_rows
    from kpi_rows
    where scope_type = 'city' and metric_kind in ('boolean', 'count', 'rank')
    group by kpi_code, kpi_year, scope, comparator

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
