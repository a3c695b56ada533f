-- 服务质量满意度（汇总）: the current survey rows pooled per year of 调查结束日期 and scope
-- (the city, and each county with county rows), one measure per value (measure_used):
--   * top2_share when the scope has share-measured respondents that year: Σ 满意样本数 ÷
--     Σ 有效样本数 over every sector and survey (score rows are then left out);
--   * else score: the sample-weighted mean 满意度得分, Σ (得分 × 有效样本数) ÷ Σ 有效样本数;
--   * else (rows without a valid respondent) none: numerator and denominator 0, no value.
-- Both pooled values stay beside the chosen one. City-wide rows (no county) count for the
-- city only; a city-wide row of a survey × sector that also has county rows is that survey's
-- 全市 total (合计), so the city takes the county rows instead of counting respondents twice.

with

current_rows as (

    select * from {{ ref('int_service_satisfaction__current') }}

),

surveys_by_county as (

    select distinct
        institute,
        survey_id,
        sector_code
    from current_rows
    where not is_city_wide

),

city_rows as (

    select current_rows.*
    from current_rows
    left join surveys_by_county
        on
            current_rows.institute = surveys_by_county.institute
            and current_rows.survey_id = surveys_by_county.survey_id
            and current_rows.sector_code = surveys_by_county.sector_code
    where not current_rows.is_city_wide or surveys_by_county.survey_id is null

),

scoped as (

    select
        survey_year as kpi_year,
        'city' as scope_type,
        '{{ var("city_code") }}' as scope_code,
        measure,
        sample_size,
        satisfied_count,
        satisfaction_score
    from city_rows

    union all

    select
        survey_year as kpi_year,
        'county' as scope_type,
        county_code as scope_code,
        measure,
        sample_size,
        satisfied_count,
        satisfaction_score
    from current_rows
    where not is_city_wide

),

pooled as (

    select
        kpi_year,
        scope_type,
        scope_code,
        count(*) filter (where measure = 'top2_share') as share_rows,
        coalesce(sum(sample_size) filter (where measure = 'top2_share'), 0) as share_sample,
        coalesce(sum(satisfied_count) filter (where measure = 'top2_share'), 0)
            as share_satisfied,
        count(*) filter (where measure = 'score') as score_rows,
        coalesce(sum(sample_size) filter (where measure = 'score'), 0) as score_sample,
        -- 得分 × 有效样本数 / 100: respondents weighted by their score ("score points")
        round(
            coalesce(sum(satisfaction_score * sample_size) filter (where measure = 'score'), 0)
            / 100.0,
            6
        ) as score_points
    from scoped
    group by kpi_year, scope_type, scope_code

),

chosen as (

    select
        *,
        case
            when share_sample > 0 then 'top2_share'
            when score_sample > 0 then 'score'
            else 'none'
        end as measure_used
    from pooled

)

select
    cast(kpi_year as integer) as kpi_year,
    scope_type,
    scope_code,
    measure_used,
    cast(share_rows as bigint) as share_rows,
    cast(share_sample as double) as share_sample,
    cast(share_satisfied as double) as share_satisfied,
    case
        when share_sample > 0 then round(100.0 * share_satisfied / share_sample, 4)
    end as share_value,
    cast(score_rows as bigint) as score_rows,
    cast(score_sample as double) as score_sample,
    cast(score_points as double) as score_points,
    case
        when score_sample > 0 then round(100.0 * score_points / score_sample, 4)
    end as score_value,
    cast(case
        when measure_used = 'top2_share' then share_satisfied
        when measure_used = 'score' then score_points
        else 0
    end as double) as numerator,
    cast(case
        when measure_used = 'top2_share' then share_sample
        when measure_used = 'score' then score_sample
        else 0
    end as double) as denominator,
    case
        when measure_used = 'top2_share' then round(100.0 * share_satisfied / share_sample, 4)
        when measure_used = 'score' then round(100.0 * score_points / score_sample, 4)
    end as actual_value,
    cast(case
        when measure_used = 'top2_share' then share_rows
        when measure_used = 'score' then score_rows
        else share_rows + score_rows
    end as bigint) as source_rows
from chosen
