-- 考核得分项 · 指标: one row per scorecard unit, assessment year and KPI it answers for, with the
-- KPI's status and the share of the item's weight it earns (docs/assessment.md):
--   county scorecard: every county-scope value of a county (fct_kpi_values scope county, shares
--     of city-wide totals excluded: 不考核), plus the county-scope catalogue KPIs it should have
--     reported and has no value for (no data);
--   unit scorecard: the city value of every KPI the unit owns (ref_kpi_catalogue.owner_unit_code),
--     collectives (各县(市、区)政府 …) excluded: they are scored in the county scorecard.

with

kpi_values as (

    select * from {{ ref('fct_kpi_values') }}

),

catalogue as (

    select * from {{ ref('ref_kpi_catalogue') }}

),

rubric as (

    select * from {{ ref('ref_assessment_rubric') }}
    where item_type = 'kpi'

),

units as (

    select * from {{ ref('ref_units') }}

),

years as (

    select * from {{ ref('dim_assessment_years') }}

),

county_units as (

    select
        unit_code,
        county_code
    from units
    where unit_type = 'county_government'

),

-- what a county answers for: its own county-scope KPIs, and those owned by all counties
county_expected as (

    select
        'county' as scorecard,
        county_units.unit_code,
        county_units.county_code as scope_code,
        catalogue.kpi_code,
        years.assessment_year
    from catalogue
    inner join county_units
        on
            catalogue.owner_unit_code = county_units.unit_code
            or catalogue.owner_unit_code = 'GXSQZF'
    cross join years
    where catalogue.scope = 'county'

    union

    select
        'county' as scorecard,
        county_units.unit_code,
        kpi_values.scope_code,
        kpi_values.kpi_code,
        kpi_values.kpi_year as assessment_year
    from kpi_values
    inner join county_units on kpi_values.scope_code = county_units.county_code
    inner join years on kpi_values.kpi_year = years.assessment_year
    where kpi_values.scope_type = 'county' and kpi_values.status != 'not_assessed'

),

unit_expected as (

    select
        'unit' as scorecard,
        units.unit_code,
        '{{ var("city_code") }}' as scope_code,
        catalogue.kpi_code,
        years.assessment_year
    from catalogue
    inner join units on catalogue.owner_unit_code = units.unit_code
    cross join years
    where
        catalogue.scope = 'city'
        and not units.is_collective
        and units.unit_type != 'county_government'

),

expected as (

    select * from county_expected
    union all
    select * from unit_expected

),

joined as (

    select
        expected.scorecard,
        expected.unit_code,
        expected.assessment_year,
        expected.kpi_code,
        catalogue.kpi_name,
        catalogue.comparator,
        catalogue.source_feed,
        coalesce(kpi_values.status, 'no_data') as status,
        kpi_values.actual_value,
        catalogue.target_value,
        coalesce(rubric.weight, 1) as item_weight
    from expected
    inner join catalogue on expected.kpi_code = catalogue.kpi_code
    left join kpi_values
        on
            expected.kpi_code = kpi_values.kpi_code
            and expected.assessment_year = kpi_values.kpi_year
            and expected.scope_code = kpi_values.scope_code
            and kpi_values.scope_type
            = case expected.scorecard when 'unit' then 'city' else 'county' end
    left join rubric on expected.kpi_code = rubric.item_code

),

scored as (

    select
        *,
        case
            when status = 'met' then {{ assessment_rule('kpi_met') }}
            -- partial attainment: only measured quantities against a numeric target
            when status = 'not_met' and comparator in ('gte', 'eq') and target_value > 0
                then
                    least(1.0, greatest(0.0, actual_value / target_value))
                    * {{ assessment_rule('kpi_partial_cap') }}
            when status = 'not_met' and comparator = 'lte' and actual_value > 0
                then
                    least(1.0, greatest(0.0, target_value / actual_value))
                    * {{ assessment_rule('kpi_partial_cap') }}
            when status = 'not_met' then 0.0
            -- a unit's own report missing is the unit's; a feed not yet delivered is not
            when status = 'no_data' and source_feed = 'submissions' and actual_value is null
                then {{ assessment_rule('kpi_no_data_submitted') }}
        end as score_rate
    from joined

)

select
    scorecard,
    unit_code,
    cast(assessment_year as integer) as assessment_year,
    'kpi' as component,
    kpi_code as item_code,
    kpi_name as item_label,
    status,
    actual_value,
    target_value,
    cast(item_weight as double) as item_weight,
    score_rate,
    score_rate is not null as is_counted,
    case
        when status = 'no_data' and score_rate is null then '监测数据暂缺，不计入'
        when status = 'no_data' then '自报数据缺失，记0分'
        when status = 'not_met' and score_rate > 0 then '未达标，按完成程度得分'
    end as score_note
from scored
