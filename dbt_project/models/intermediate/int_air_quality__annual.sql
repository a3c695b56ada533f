-- 年度空气质量评价: per station, county and the city and year, the HJ 663-2013 annual
-- statistics from the daily values: annual means with their validity (≥ 324 valid daily
-- values a year and ≥ 27 in every month, ≥ 25 in February), O3 90th percentile of the daily
-- maximum 8-h means, CO 95th percentile of the daily means, 优良天 and their ratio, and the
-- year-on-year change of PM2.5 and of the good-day ratio.

with

daily as (

    select
        'station' as scope_type,
        station_code as scope_code,
        obs_date,
        obs_year,
        pm25,
        pm10,
        so2,
        no2,
        co,
        o3_8h_max,
        aqi,
        is_good_day,
        source_rows
    from {{ ref('int_air_quality__station_daily') }}
    union all
    select
        scope_type,
        scope_code,
        obs_date,
        obs_year,
        pm25,
        pm10,
        so2,
        no2,
        co,
        o3_8h_max,
        aqi,
        is_good_day,
        source_rows
    from {{ ref('int_air_quality__area_daily') }}

),

daily_long as (

    {% for p in ['pm25', 'pm10', 'so2', 'no2', 'co', 'o3_8h_max'] %}
        select
            scope_type,
            scope_code,
            obs_year,
            month(obs_date) as obs_month,
            '{{ p }}' as pollutant,
            {{ p }} as daily_value
        from daily
        where {{ p }} is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

monthly as (

    select
        scope_type,
        scope_code,
        obs_year,
        pollutant,
        obs_month,
        count(*) as valid_days
    from daily_long
    group by scope_type, scope_code, obs_year, pollutant, obs_month

),

month_check as (

    select
        scope_type,
        scope_code,
        obs_year,
        pollutant,
        count(*) filter (
            where valid_days >= case when obs_month = 2 then 25 else 27 end
        ) as months_complete
    from monthly
    group by scope_type, scope_code, obs_year, pollutant

),

per_pollutant as (

    select
        daily_long.scope_type,
        daily_long.scope_code,
        daily_long.obs_year,
        daily_long.pollutant,
        avg(daily_long.daily_value) as annual_mean,
        quantile_cont(daily_long.daily_value, 0.90) as p90,
        quantile_cont(daily_long.daily_value, 0.95) as p95,
        count(*) as valid_days,
        count(*) >= 324 and coalesce(max(month_check.months_complete), 0) = 12 as is_valid
    from daily_long
    left join month_check
        on
            daily_long.scope_type = month_check.scope_type
            and daily_long.scope_code = month_check.scope_code
            and daily_long.obs_year = month_check.obs_year
            and daily_long.pollutant = month_check.pollutant
    group by daily_long.scope_type, daily_long.scope_code, daily_long.obs_year, daily_long.pollutant

),

years as (

    select
        scope_type,
        scope_code,
        obs_year,
        cast(count(aqi) as integer) as aqi_days,
        cast(count(*) filter (where is_good_day) as integer) as good_days,
        cast(sum(source_rows) as bigint) as source_rows
    from daily
    group by scope_type, scope_code, obs_year

),

annual_stats as (

    select
        years.scope_type,
        years.scope_code,
        years.obs_year,
        {% for p in ['pm25', 'pm10', 'so2', 'no2'] %}
            max(pp.annual_mean) filter (where pp.pollutant = '{{ p }}') as {{ p }}_annual_mean,
            cast(
                coalesce(max(pp.valid_days) filter (where pp.pollutant = '{{ p }}'), 0)
                as integer
            ) as {{ p }}_valid_days,
            coalesce(bool_or(pp.is_valid) filter (where pp.pollutant = '{{ p }}'), false)
                as {{ p }}_is_valid,
        {% endfor %}
        max(pp.p95) filter (where pp.pollutant = 'co') as co_p95,
        cast(
            coalesce(max(pp.valid_days) filter (where pp.pollutant = 'co'), 0)
            as integer
        ) as co_valid_days,
        coalesce(bool_or(pp.is_valid) filter (where pp.pollutant = 'co'), false) as co_is_valid,
        max(pp.p90) filter (where pp.pollutant = 'o3_8h_max') as o3_8h_p90,
        cast(
            coalesce(max(pp.valid_days) filter (where pp.pollutant = 'o3_8h_max'), 0)
            as integer
        ) as o3_valid_days,
        coalesce(bool_or(pp.is_valid) filter (where pp.pollutant = 'o3_8h_max'), false)
            as o3_is_valid,
        max(years.aqi_days) as aqi_days,
        max(years.good_days) as good_days,
        case
            when max(years.aqi_days) > 0
                then 100.0 * max(years.good_days) / max(years.aqi_days)
        end as good_day_ratio,
        max(years.source_rows) as source_rows
    from years
    left join per_pollutant as pp
        on
            years.scope_type = pp.scope_type
            and years.scope_code = pp.scope_code
            and years.obs_year = pp.obs_year
    group by years.scope_type, years.scope_code, years.obs_year

)

select
    annual_stats.*,
    prior_year.pm25_annual_mean as pm25_prior_annual_mean,
    case
        when prior_year.pm25_annual_mean > 0
            then
                100.0 * (annual_stats.pm25_annual_mean - prior_year.pm25_annual_mean)
                / prior_year.pm25_annual_mean
    end as pm25_change_pct,
    annual_stats.good_day_ratio - prior_year.good_day_ratio as good_day_ratio_change_pp,
    nullif(concat_ws(
        '; ',
        case when not annual_stats.pm25_is_valid then 'PM2.5年均值未达HJ 663有效性要求' end,
        case when prior_year.scope_code is null then '无上年数据，同比为空' end,
        case when annual_stats.aqi_days = 0 then '无有效AQI日，优良天数比例为空' end
    ), '') as note
from annual_stats
left join annual_stats as prior_year
    on
        annual_stats.scope_type = prior_year.scope_type
        and annual_stats.scope_code = prior_year.scope_code
        and prior_year.obs_year = annual_stats.obs_year - 1
