-- DRINKING_WATER_COMPLIANCE_RATE 县级以上集中式饮用水源地水质达标率, by volume (取水量), the
-- national basis (环境状况公报; 国家环境保护模范城市考核指标: 达标水量 / 取水总量 × 100):
--   numerator   = 取水量 represented by compliant samples (int_drinking_water__samples)
--   denominator = 取水量 of every sample
-- per calendar year of 采样日期, city only (the catalogue's scope). A year whose sources
-- supplied nothing: numerator 0, denominator 0, actual_value null. The sample and source-count
-- rates are in marts.fct_drinking_water_compliance.

with

samples as (

    select * from {{ ref('int_drinking_water__samples') }}

),

yearly as (

    select
        sample_year,
        coalesce(sum(volume_share_10k_t) filter (where is_pass), 0) as compliant_volume,
        coalesce(sum(volume_share_10k_t), 0) as total_volume,
        count(*) as sample_count
    from samples
    group by sample_year

)

select
    'DRINKING_WATER_COMPLIANCE_RATE' as kpi_code,
    cast(sample_year as integer) as kpi_year,
    'city' as scope_type,
    '{{ var("city_code") }}' as scope_code,
    cast(case when total_volume > 0 then compliant_volume else 0 end as double) as numerator,
    cast(total_volume as double) as denominator,
    case
        when total_volume > 0 then round(100.0 * compliant_volume / total_volume, 4)
    end as actual_value,
    cast(null as double) as reported_prior_value,
    cast(sample_count as bigint) as source_rows
from yearly
