-- 考核得分项 · 报送: one row per unit and reporting period due in the assessment year
-- (fct_submission_timeliness; periods not yet due are not scored; docs/assessment.md):
-- on time → submission_on_time; late → 1 − submission_late_per_day × days late, not below
-- submission_late_floor; missing → submission_missing.

with

timeliness as (

    select * from {{ ref('fct_submission_timeliness') }}
    where timeliness != 'not_due'

)

select
    case when unit_type = 'county_government' then 'county' else 'unit' end as scorecard,
    unit_code,
    cast(period_year as integer) as assessment_year,
    'submission' as component,
    period_code as item_code,
    period_label || '报送' as item_label,
    timeliness as status,
    cast(days_late as double) as actual_value,
    cast(null as double) as target_value,
    1.0 as item_weight,
    case timeliness
        when 'on_time' then {{ assessment_rule('submission_on_time') }}
        when 'late'
            then greatest(
                {{ assessment_rule('submission_late_floor') }},
                1.0 - {{ assessment_rule('submission_late_per_day') }} * days_late
            )
        else {{ assessment_rule('submission_missing') }}
    end as score_rate,
    true as is_counted,
    timeliness_label || coalesce('（' || timeliness_note || '）', '') as score_note
from timeliness
