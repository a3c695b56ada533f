-- 市区污水处理情况: one row per month and one per year, with Chinese labels. The monthly and
-- the annual 处理率 are as delivered (treated ÷ generated, may exceed 100 in the rain season);
-- 考核处理率 is the KPI's reading (each month counted up to its generated figure; a year needs
-- all twelve months' 排放总量), the value fct_kpi_values shows.

with

months as (

    select * from {{ ref('int_sewage__months') }}

),

kpi as (

    select * from {{ ref('int_kpi__sewage') }}

),

monthly as (

    select
        'month' as period_type,
        stat_year,
        stat_month_no,
        concat(stat_year, '年', stat_month_no, '月') as period_label,
        urban_treated_10k_t,
        urban_generated_10k_t,
        treatment_rate,
        case
            when urban_generated_10k_t > 0
                then round(100.0 * urban_counted_10k_t / urban_generated_10k_t, 4)
        end as assessed_rate,
        cast(1 as bigint) as months_reported,
        cast(has_generated_volume as bigint) as months_with_generated,
        urban_plants_reporting,
        urban_plants_over_capacity,
        cast(is_treated_above_generated as bigint) as months_treated_above_generated,
        concat_ws(
            '；',
            case when not has_generated_volume then '缺少市区污水排放总量' end,
            case when is_treated_above_generated then '处理量大于排放总量（汛期雨水混入）' end,
            case when is_missing_plants then '有市区污水处理厂未报' end,
            case when urban_plants_over_capacity > 0 then '有污水处理厂超设计能力运行' end
        ) as note
    from months

),

yearly as (

    select
        'year' as period_type,
        months.stat_year,
        cast(null as integer) as stat_month_no,
        concat(months.stat_year, '年') as period_label,
        sum(months.urban_treated_10k_t) as urban_treated_10k_t,
        sum(months.urban_generated_10k_t) as urban_generated_10k_t,
        case
            when
                count(*) filter (where months.has_generated_volume) = 12
                and sum(months.urban_generated_10k_t) > 0
                then round(
                    100.0 * sum(months.urban_treated_10k_t) / sum(months.urban_generated_10k_t),
                    4
                )
        end as treatment_rate,
        any_value(kpi.actual_value) as assessed_rate,
        count(*) as months_reported,
        count(*) filter (where months.has_generated_volume) as months_with_generated,
        sum(months.urban_plants_reporting) as urban_plants_reporting,
        sum(months.urban_plants_over_capacity) as urban_plants_over_capacity,
        count(*) filter (
            where months.is_treated_above_generated
        ) as months_treated_above_generated,
        case
            when count(*) filter (where months.has_generated_volume) < 12
                then concat(
                    '缺少',
                    12 - count(*) filter (where months.has_generated_volume),
                    '个月的市区污水排放总量，无年度值'
                )
            else ''
        end as note
    from months
    left join kpi on months.stat_year = kpi.kpi_year
    group by months.stat_year

),

unioned as (

    select * from monthly
    union all
    select * from yearly

)

select
    period_type,
    case when period_type = 'month' then '月度' else '年度' end as period_type_label,
    cast(stat_year as integer) as stat_year,
    cast(stat_month_no as integer) as stat_month_no,
    period_label,
    cast(urban_treated_10k_t as double) as urban_treated_10k_t,
    cast(urban_generated_10k_t as double) as urban_generated_10k_t,
    cast(treatment_rate as double) as treatment_rate,
    cast(assessed_rate as double) as assessed_rate,
    cast(months_reported as bigint) as months_reported,
    cast(months_with_generated as bigint) as months_with_generated,
    cast(urban_plants_reporting as bigint) as urban_plants_reporting,
    cast(urban_plants_over_capacity as bigint) as urban_plants_over_capacity,
    cast(months_treated_above_generated as bigint) as months_treated_above_generated,
    nullif(note, '') as note
from unioned
