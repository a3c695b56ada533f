-- The spot-check KPIs per calendar year of sampling, for the city and each county-level unit,
-- from the current deliveries (int_spot_checks__current):
--   MFG_PASS_RATE                      制造业产品质量合格率 = 合格批次 / 监督抽查批次 × 100
--   FOOD_SAMPLING_FAIL_DETECTION_RATE  食品安全监督抽检不合格检出率 = 不合格批次 / 抽检批次 × 100
--   AGRI_MONITOR_PASS_RATE             主要农产品质量安全监测合格率 = 合格批次 / 监测批次 × 100
--   FRUIT_FOREST_SAMPLING_BATCHES      果品、林产品、林木制品监测抽查批次 (categories G01–G03)
-- A batch without a county (province-published tables) counts for the city only.

with

batches as (

    select * from {{ ref('int_spot_checks__current') }}

),

kpi_batches as (

    -- one row per batch and KPI it counts in; `counted` is the batch's share of the numerator
    select
        'MFG_PASS_RATE' as kpi_code,
        sample_year,
        county_code,
        is_pass as counted
    from batches
    where stream_code = 'manufacturing'

    union all

    select
        'FOOD_SAMPLING_FAIL_DETECTION_RATE' as kpi_code,
        sample_year,
        county_code,
        not is_pass as counted
    from batches
    where stream_code = 'food'

    union all

    select
        'AGRI_MONITOR_PASS_RATE' as kpi_code,
        sample_year,
        county_code,
        is_pass as counted
    from batches
    where stream_code = 'agricultural'

    union all

    -- 果品 G01, 林产品 G02, 林木制品 G03 (the plan's 200 批次 target; 种子苗木 G04 is not in it)
    select
        'FRUIT_FOREST_SAMPLING_BATCHES' as kpi_code,
        sample_year,
        county_code,
        true as counted
    from batches
    where stream_code = 'forestry' and category_code in ('G01', 'G02', 'G03')

),

scoped as (

    select
        kpi_code,
        sample_year,
        'city' as scope_type,
        '{{ var("city_code") }}' as scope_code,
        counted
    from kpi_batches

    union all

    select
        kpi_code,
        sample_year,
        'county' as scope_type,
        county_code as scope_code,
        counted
    from kpi_batches
    where county_code is not null

),

counted as (

    select
        kpi_code,
        sample_year as kpi_year,
        scope_type,
        scope_code,
        count(*) filter (where counted) as numerator,
        count(*) as denominator
    from scoped
    group by kpi_code, sample_year, scope_type, scope_code

)

select
    kpi_code,
    cast(kpi_year as integer) as kpi_year,
    scope_type,
    scope_code,
    cast(numerator as double) as numerator,
    -- a count of batches has no denominator
    case
        when kpi_code != 'FRUIT_FOREST_SAMPLING_BATCHES' then cast(denominator as double)
    end as denominator,
    case
        when kpi_code = 'FRUIT_FOREST_SAMPLING_BATCHES' then cast(numerator as double)
        else round(100.0 * numerator / denominator, 4)
    end as actual_value,
    cast(null as double) as reported_prior_value,
    cast(denominator as bigint) as source_rows
from counted
