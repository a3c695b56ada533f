-- 县级以上集中式饮用水水源地水质达标率 in three readings, per 水源地 / 县（市、区）/ 全市 and per
-- year and month, from the current deliveries:
--   按样品 sample rate  = 达标样品数 / 样品数 × 100
--   按水量 volume rate  = 达标样品所代表的取水量 / 取水总量 × 100 (the KPI's basis)
--   按个数 source rate  = 期内全部样品达标的水源地数 / 监测水源地数 × 100

with

samples as (

    select * from {{ ref('int_drinking_water__samples') }}

),

counties as (

    select * from {{ ref('ref_counties') }}

),

periods as (

    select
        *,
        'year' as period_type,
        cast(sample_year as varchar) as period
    from samples

    union all

    select
        *,
        'month' as period_type,
        sample_month as period
    from samples

),

scoped as (

    select
        periods.*,
        'source' as scope_type,
        periods.source_code as scope_code,
        periods.source_name as scope_name
    from periods

    union all

    select
        periods.*,
        'county' as scope_type,
        periods.county_code as scope_code,
        counties.county_name as scope_name
    from periods
    inner join counties on periods.county_code = counties.county_code

    union all

    select
        periods.*,
        'city' as scope_type,
        '{{ var("city_code") }}' as scope_code,
        '廊坊市' as scope_name
    from periods

),

per_source as (

    select
        scope_type,
        scope_code,
        scope_name,
        period_type,
        period,
        sample_year,
        source_code,
        bool_and(is_pass) as source_compliant,
        count(*) as samples,
        count(*) filter (where is_pass) as compliant_samples,
        sum(volume_share_10k_t) as volume,
        coalesce(sum(volume_share_10k_t) filter (where is_pass), 0) as compliant_volume
    from scoped
    group by scope_type, scope_code, scope_name, period_type, period, sample_year, source_code

),

summed as (

    select
        scope_type,
        scope_code,
        scope_name,
        period_type,
        period,
        sample_year,
        count(*) as source_count,
        count(*) filter (where source_compliant) as compliant_source_count,
        sum(samples) as sample_count,
        sum(compliant_samples) as compliant_sample_count,
        sum(volume) as volume_10k_t,
        sum(compliant_volume) as compliant_volume_10k_t
    from per_source
    group by scope_type, scope_code, scope_name, period_type, period, sample_year

)

select
    scope_type,
    case scope_type
        when 'source' then '水源地'
        when 'county' then '县（市、区）'
        else '全市'
    end as scope_label,
    scope_code,
    scope_name,
    period_type,
    case period_type when 'year' then '年度' else '月度' end as period_label,
    period,
    cast(sample_year as integer) as kpi_year,
    cast(source_count as bigint) as source_count,
    cast(compliant_source_count as bigint) as compliant_source_count,
    round(100.0 * compliant_source_count / source_count, 4) as source_rate,
    cast(sample_count as bigint) as sample_count,
    cast(compliant_sample_count as bigint) as compliant_sample_count,
    round(100.0 * compliant_sample_count / sample_count, 4) as sample_rate,
    cast(volume_10k_t as double) as volume_10k_t,
    cast(case when volume_10k_t > 0 then compliant_volume_10k_t else 0 end as double)
        as compliant_volume_10k_t,
    case
        when volume_10k_t > 0 then round(100.0 * compliant_volume_10k_t / volume_10k_t, 4)
    end as volume_rate
from summed
