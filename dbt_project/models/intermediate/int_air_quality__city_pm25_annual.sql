-- PM2.5年均浓度: the arithmetic mean of the year's valid daily values, valid only when the
-- year has enough of them (GB 3095-2012 表4 / HJ 663-2013 5.1: at least 324 daily values a
-- year, at least 27 in each month, 25 in February). An invalid year has no value.

with

daily as (

    select * from {{ ref('int_air_quality__city_pm25_daily') }}

),

monthly as (

    select
        obs_year,
        obs_month,
        count(*) as valid_days
    from daily
    group by obs_year, obs_month

),

years as (

    select distinct obs_year from daily

),

months as (

    select unnest(range(1, 13)) as month_no

),

short_months as (

    select
        years.obs_year,
        -- months with too few daily values (a month with none counts too)
        list(months.month_no order by months.month_no) filter (
            where
            coalesce(monthly.valid_days, 0)
            < case when months.month_no = 2 then 25 else 27 end
        ) as short_month_list
    from years
    cross join months
    left join monthly
        on years.obs_year = monthly.obs_year and months.month_no = monthly.obs_month
    group by years.obs_year

),

yearly as (

    select
        obs_year,
        count(*) as valid_days,
        count(*) filter (where pm25_source = 'published') as published_days,
        count(*) filter (where pm25_source = 'stations') as station_days,
        sum(pm25) as pm25_sum,
        avg(pm25) as pm25_mean_all_days,
        sum(source_rows) as source_rows
    from daily
    group by obs_year

),

validated as (

    select
        yearly.*,
        short_months.short_month_list,
        yearly.valid_days >= 324
        and coalesce(len(short_months.short_month_list), 0) = 0 as is_valid,
        case
            when yearly.valid_days < 324
                then '有效日均值' || yearly.valid_days || '天，少于324天（HJ 663-2013）'
            when coalesce(len(short_months.short_month_list), 0) > 0
                then
                    '月有效日均值不足（每月至少27天、2月至少25天）：'
                    || array_to_string(short_months.short_month_list, '、') || '月'
        end as invalid_reason
    from yearly
    inner join short_months on yearly.obs_year = short_months.obs_year

),

with_mean as (

    select
        *,
        case when is_valid then pm25_mean_all_days end as pm25_annual_mean
    from validated

),

with_prior as (

    select
        with_mean.*,
        prior_year.pm25_annual_mean as prior_pm25_annual_mean
    from with_mean
    left join with_mean as prior_year on with_mean.obs_year - 1 = prior_year.obs_year

)

select
    obs_year,
    valid_days,
    published_days,
    station_days,
    pm25_sum,
    is_valid,
    invalid_reason,
    pm25_annual_mean,
    prior_pm25_annual_mean,
    pm25_annual_mean - prior_pm25_annual_mean as yoy_change,
    100.0 * (pm25_annual_mean - prior_pm25_annual_mean)
    / nullif(prior_pm25_annual_mean, 0) as yoy_change_pct,
    source_rows
from with_prior
