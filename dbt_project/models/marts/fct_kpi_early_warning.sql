-- 指标预警 (early warning): for every KPI value of a year — city and county — the year-end
-- value projected from the data so far and whether the target is at risk (docs/assessment.md,
-- "Early warning"). A year whose data covers all twelve months is final: no projection.
--   rates, means, ranks and ratios (%, µg/m³, 位次, …): the year-to-date value is the projection
--     (a ratio of the months so far estimates the year's ratio);
--   cumulative counts (项, 个, 批次, 次, 名, 期, 起): year-to-date × 12 ÷ months covered;
--   yes/no: the value so far (a deliverable not yet achieved is at risk until it is).
-- warning_level: at_risk 预警 when the projection misses the target; watch 关注 when it meets a
-- numeric target by less than var early_warning_margin (same unit as the KPI); on_track 正常;
-- no_data 暂无数据; final 已结束 for complete years (see status); not_assessed 不考核.

with

kpi_values as (

    select * from {{ ref('fct_kpi_values') }}

),

catalogue as (

    select * from {{ ref('ref_kpi_catalogue') }}

),

units as (

    select * from {{ ref('ref_units') }}

),

coverage as (

    select * from {{ ref('int_deliveries__coverage_by_year') }}

),

-- a catalogue source_feed names a feed or a family of feeds (air_quality → air_quality_*)
kpi_coverage as (

    select
        catalogue.kpi_code,
        coverage.data_year,
        max(coverage.months_covered) as months_covered
    from catalogue
    inner join coverage
        on
            catalogue.source_feed = coverage.feed
            or coverage.feed like catalogue.source_feed || '\_%' escape '\'
    group by catalogue.kpi_code, coverage.data_year

),

projected as (

    select
        kpi_values.kpi_code,
        kpi_values.kpi_name,
        kpi_values.kpi_year as assessment_year,
        kpi_values.scope_type,
        kpi_values.scope_code,
        kpi_values.scope_name,
        catalogue.owner_unit_code,
        units.short_name as owner_unit_name,
        kpi_values.unit,
        kpi_values.comparator,
        kpi_values.target_value,
        kpi_values.prior_year_value,
        kpi_values.status,
        kpi_values.actual_value as value_to_date,
        coalesce(kpi_coverage.months_covered, 12) as months_covered,
        case
            when coalesce(kpi_coverage.months_covered, 12) >= 12 then 'final'
            when kpi_values.actual_value is null then 'none'
            when kpi_values.unit in ('项', '个', '批次', '次', '名', '期', '起')
                then 'linear_extrapolation'
            else 'year_to_date'
        end as projection_method
    from kpi_values
    inner join catalogue on kpi_values.kpi_code = catalogue.kpi_code
    left join units on catalogue.owner_unit_code = units.unit_code
    left join kpi_coverage
        on
            kpi_values.kpi_code = kpi_coverage.kpi_code
            and kpi_values.kpi_year = kpi_coverage.data_year

),

with_projection as (

    select
        *,
        case projection_method
            when 'linear_extrapolation' then round(value_to_date * 12.0 / months_covered, 2)
            else value_to_date
        end as projected_value
    from projected

),

with_status as (

    select
        *,
        case
            when status = 'not_assessed' then 'not_assessed'
            when projection_method = 'final' then status
            -- zero_events: an incident already counted stays counted, so it is at risk at once
            else {{
                kpi_status('comparator', 'projected_value', 'target_value', 'prior_year_value')
            }}
        end as projected_status
    from with_projection

),

classified as (

    select
        *,
        case
            when projected_status = 'not_assessed' then 'not_assessed'
            when projection_method = 'final' then 'final'
            when projected_status = 'no_data' then 'no_data'
            when projected_status = 'not_met' then 'at_risk'
            when
                comparator in ('gte', 'lte')
                and abs(projected_value - target_value) < {{ var('early_warning_margin') }}
                then 'watch'
            when
                comparator in ('increase_yoy', 'decrease_yoy')
                and abs(projected_value - prior_year_value) < {{ var('early_warning_margin') }}
                then 'watch'
            else 'on_track'
        end as warning_level
    from with_status

)

select
    kpi_code,
    kpi_name,
    cast(assessment_year as integer) as assessment_year,
    scope_type,
    scope_code,
    scope_name,
    owner_unit_code,
    owner_unit_name,
    unit,
    comparator,
    target_value,
    prior_year_value,
    cast(months_covered as integer) as months_covered,
    value_to_date,
    projection_method,
    projected_value,
    projected_status,
    warning_level,
    case warning_level
        when 'at_risk' then '预警'
        when 'watch' then '关注'
        when 'on_track' then '正常'
        when 'final' then '已结束'
        when 'not_assessed' then '不考核'
        else '暂无数据'
    end as warning_label,
    case projection_method
        when 'linear_extrapolation'
            then
                '按前' || months_covered || '个月线性外推：'
                || value_to_date || ' × 12 ÷ ' || months_covered
        when 'year_to_date' then '按前' || months_covered || '个月累计值预计全年'
        when 'final' then '全年数据已齐，不作预测'
        else '暂无本年数据'
    end as projection_note
from classified
