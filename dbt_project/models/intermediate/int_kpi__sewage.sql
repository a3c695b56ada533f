-- URBAN_SEWAGE_TREATMENT_RATE 市区污水处理率 per calendar year, city scope only, from the
-- months of int_sewage__months:
--   numerator   = Σ over the months of the treated volume counted as sewage (each month's
--                 treated volume up to that month's generated figure; the excess is storm water)
--   denominator = Σ over the months of 市区污水排放总量
--   actual      = numerator ÷ denominator × 100, so at most 100
-- A year lacking any of its twelve months' 排放总量 has no annual value (actual null; the
-- sums of the months it has stay as numerator and denominator). Denominator 0: numerator 0,
-- denominator 0, actual null.

with

months as (

    select * from {{ ref('int_sewage__months') }}

),

years as (

    select
        stat_year,
        coalesce(sum(urban_counted_10k_t), 0) as counted,
        coalesce(sum(urban_generated_10k_t), 0) as generated_total,
        count(*) filter (where has_generated_volume) as months_with_generated,
        sum(source_rows) as source_rows
    from months
    group by stat_year

)

select
    'URBAN_SEWAGE_TREATMENT_RATE' as kpi_code,
    cast(stat_year as integer) as kpi_year,
    'city' as scope_type,
    '{{ var("city_code") }}' as scope_code,
    -- volumes in 万吨 to four decimals (sums of two-decimal figures, without float noise)
    cast(case when generated_total > 0 then round(counted, 4) else 0 end as double) as numerator,
    cast(round(generated_total, 4) as double) as denominator,
    case
        when months_with_generated = 12 and generated_total > 0
            then round(100.0 * counted / generated_total, 4)
    end as actual_value,
    cast(null as double) as reported_prior_value,
    cast(source_rows as bigint) as source_rows
from years
