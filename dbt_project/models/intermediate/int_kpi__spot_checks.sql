-- The spot-check KPIs per calendar year of sampling, for the city and each county-level unit,
-- from the current deliveries (the counted batches of int_spot_checks__kpi_rows):
--   MFG_PASS_RATE                      制造业产品质量合格率 = 合格批次 / 监督抽查批次 × 100
--   FOOD_SAMPLING_FAIL_DETECTION_RATE  食品安全监督抽检不合格检出率 = 不合格批次 / 抽检批次 × 100
--   AGRI_MONITOR_PASS_RATE             主要农产品质量安全监测合格率 = 合格批次 / 监测批次 × 100
--   FRUIT_FOREST_SAMPLING_BATCHES      果品、林产品、林木制品监测抽查批次 (categories G01–G03)
-- A batch without a county (province-published tables) counts for the city only.

with

kpi_rows as (

    select * from {{ ref('int_spot_checks__kpi_rows') }}

),

counted as (

    select
        kpi_code,
        kpi_year,
        scope_type,
        scope_code,
        count(*) filter (where is_counted) as numerator,
        count(*) as denominator
    from kpi_rows
    group by kpi_code, kpi_year, scope_type, scope_code

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
    -- every counted batch row is one lineage row (int_kpi_lineage__spot_checks)
    cast(denominator as bigint) as source_rows
from counted
