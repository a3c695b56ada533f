-- 环境空气质量“双控”: the year's PM2.5 annual mean (1) lower than the year before and (2) not
-- above the year's control value (ref_air_quality_targets: the value itself, or the base
-- year's concentration × (1 − required reduction)). Without a control value there is no
-- verdict (年度控制值未录入), never a guessed one.

with

annual as (

    select * from {{ ref('int_air_quality__city_pm25_annual') }}

),

targets as (

    select
        year as target_year,
        base_year,
        required_reduction_pct,
        coalesce(
            pm25_control_ug_m3,
            base_pm25_ug_m3 * (1 - required_reduction_pct / 100.0)
        ) as pm25_control_ug_m3
    from {{ ref('ref_air_quality_targets') }}

),

joined as (

    select
        annual.obs_year,
        annual.pm25_annual_mean,
        annual.prior_pm25_annual_mean,
        targets.base_year,
        targets.required_reduction_pct,
        targets.pm25_control_ug_m3,
        annual.invalid_reason,
        annual.source_rows
    from annual
    left join targets on annual.obs_year = targets.target_year

)

select
    obs_year,
    pm25_annual_mean,
    prior_pm25_annual_mean,
    base_year,
    required_reduction_pct,
    pm25_control_ug_m3,
    pm25_annual_mean < prior_pm25_annual_mean as is_lower_than_prior,
    pm25_annual_mean <= pm25_control_ug_m3 as is_within_control,
    case
        when
            pm25_annual_mean is not null
            and prior_pm25_annual_mean is not null
            and pm25_control_ug_m3 is not null
            then
                pm25_annual_mean < prior_pm25_annual_mean
                and pm25_annual_mean <= pm25_control_ug_m3
    end as is_met,
    case
        when pm25_annual_mean is null then '本年PM2.5年均浓度无效：' || invalid_reason
        when prior_pm25_annual_mean is null then '缺少上年PM2.5年均浓度'
        when pm25_control_ug_m3 is null then '年度控制值未录入'
    end as note,
    source_rows
from joined
