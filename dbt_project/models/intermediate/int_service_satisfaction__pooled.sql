-- 服务质量满意度（汇总）: the current survey rows pooled per year of 调查结束日期 and scope
-- (the city, and each county with county rows), one measure per value (measure_used):
--   * top2_share when the scope has share-measured respondents that year: Σ 满意样本数 ÷
--     Σ 有效样本数 over every sector and survey (score rows are then left out);
--   * else score: the sample-weighted mean 满意度得分, Σ (得分 × 有效样本数) ÷ Σ 有效样本数;
--   * else (rows without a valid respondent) none: numerator and denominator 0, no value.
-- Both pooled values stay beside the chosen one. City-wide rows (no county) count for the
-- city only, and a survey's 全市 total row is not counted beside its county rows
-- (service_satisfaction_scoped_rows, shared with int_kpi_lineage__service_satisfaction).
-- source_rows counts the rows of the measure used with valid respondents (有效样本数 > 0):
-- exactly the value's lineage rows; 0 for a value without respondents.

with

scoped as (

    {{ service_satisfaction_scoped_rows() }}

),

pooled as (

    select
        kpi_year,
        scope_type,
        scope_code,
        count(*) filter (where measure = 'top2_share') as share_rows,
        count(*) filter (where measure = 'top2_share' and sample_size > 0) as share_counted_rows,
        coalesce(sum(sample_size) filter (where measure = 'top2_share'), 0) as share_sample,
        coalesce(sum(satisfied_count) filter (where measure = 'top2_share'), 0)
            as share_satisfied,
        count(*) filter (where measure = 'score') as score_rows,
        count(*) filter (where measure = 'score' and sample_size > 0) as score_counted_rows,
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
        when measure_used = 'top2_share' then share_counted_rows
        when measure_used = 'score' then score_counted_rows
        else 0
    end as bigint) as source_rows
from chosen
