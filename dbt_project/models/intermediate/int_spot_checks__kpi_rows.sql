-- 抽检抽查结果（计入指标的批次）: one row per current batch row, KPI and scope it counts in.
-- The spot-check KPIs (int_kpi__spot_checks) aggregate these rows and their lineage
-- (int_kpi_lineage__spot_checks) lists them, so the two read one set of filters:
--   MFG_PASS_RATE                      manufacturing batches, counted when 合格
--   FOOD_SAMPLING_FAIL_DETECTION_RATE  food batches, counted when 不合格
--   AGRI_MONITOR_PASS_RATE             agricultural batches, counted when 合格
--   FRUIT_FOREST_SAMPLING_BATCHES      forestry batches of categories G01–G03, all counted
-- A batch without a county (province-published tables) counts for the city only.
-- Rows of published 不合格产品 lists (is_failure_list) count in no KPI: such a list carries no
-- passed batches, so it is no sample of a pass rate, a failure rate or a batch count, and its
-- batches may repeat a full results table's (docs/feeds/spot_checks.md).

with

batches as (

    select * from {{ ref('int_spot_checks__current') }}
    where not is_failure_list

),

kpi_batches as (

    -- `is_counted` is the batch's share of the numerator
    select
        'MFG_PASS_RATE' as kpi_code,
        sample_year,
        county_code,
        is_pass as is_counted,
        source_sha256,
        source_row
    from batches
    where stream_code = 'manufacturing'

    union all

    select
        'FOOD_SAMPLING_FAIL_DETECTION_RATE' as kpi_code,
        sample_year,
        county_code,
        not is_pass as is_counted,
        source_sha256,
        source_row
    from batches
    where stream_code = 'food'

    union all

    select
        'AGRI_MONITOR_PASS_RATE' as kpi_code,
        sample_year,
        county_code,
        is_pass as is_counted,
        source_sha256,
        source_row
    from batches
    where stream_code = 'agricultural'

    union all

    -- 果品 G01, 林产品 G02, 林木制品 G03 (the plan's 200 批次 target; 种子苗木 G04 is not in it)
    select
        'FRUIT_FOREST_SAMPLING_BATCHES' as kpi_code,
        sample_year,
        county_code,
        true as is_counted,
        source_sha256,
        source_row
    from batches
    where stream_code = 'forestry' and category_code in ('G01', 'G02', 'G03')

),

scoped as (

    select
        kpi_code,
        sample_year,
        'city' as scope_type,
        '{{ var("city_code") }}' as scope_code,
        is_counted,
        source_sha256,
        source_row
    from kpi_batches

    union all

    select
        kpi_code,
        sample_year,
        'county' as scope_type,
        county_code as scope_code,
        is_counted,
        source_sha256,
        source_row
    from kpi_batches
    where county_code is not null

)

select
    kpi_code,
    cast(sample_year as integer) as kpi_year,
    scope_type,
    scope_code,
    is_counted,
    source_sha256,
    cast(source_row as integer) as source_row
from scoped
