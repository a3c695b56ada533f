-- 市区污水处理 per month, from the current deliveries (int_sewage__current):
--   treated   = Σ 污水处理量 of the plants counted for 市区 (ref_sewage_plants.is_urban)
--   generated = the month's 市区污水排放总量 row (null when the month has none)
--   rate      = treated ÷ generated × 100, uncapped (storm water may lift it above 100)
-- A plant above design capacity × days operated × 1.2 is flagged, not dropped: the days
-- default to the month's length and the capacity to the seed's when the report leaves them out.

with

current_rows as (

    select * from {{ ref('int_sewage__current') }}

),

plants as (

    select * from {{ ref('ref_sewage_plants') }}

),

plant_rows as (

    select
        current_rows.stat_year,
        current_rows.stat_month_no,
        plants.is_urban,
        current_rows.treated_volume_10k_t,
        current_rows.treated_volume_10k_t > 1.2
        * coalesce(
            current_rows.design_capacity_10k_t_per_day, plants.design_capacity_10k_t_per_day
        )
        * coalesce(current_rows.days_operated, dayofmonth(last_day(current_rows.stat_month)))
            as is_over_capacity
    from current_rows
    inner join plants on current_rows.plant_code = plants.plant_code
    where current_rows.is_plant_row

),

plant_months as (

    select
        stat_year,
        stat_month_no,
        coalesce(sum(treated_volume_10k_t) filter (where is_urban), 0) as urban_treated_10k_t,
        count(*) filter (where is_urban) as urban_plants_reporting,
        count(*) filter (where not is_urban) as county_plants_reporting,
        count(*) filter (where is_urban and is_over_capacity) as urban_plants_over_capacity
    from plant_rows
    group by stat_year, stat_month_no

),

generated_months as (

    select
        stat_year,
        stat_month_no,
        -- the key allows one 排放总量 row per month and delivery
        max(generated_volume_10k_t) as urban_generated_10k_t,
        count(*) as generated_rows
    from current_rows
    where not is_plant_row
    group by stat_year, stat_month_no

),

months as (

    select distinct
        stat_year,
        stat_month_no
    from current_rows

),

expected as (

    select count(*) as urban_plants_expected
    from plants
    where is_urban

),

joined as (

    select
        months.stat_year,
        months.stat_month_no,
        coalesce(plant_months.urban_treated_10k_t, 0) as urban_treated_10k_t,
        generated_months.urban_generated_10k_t,
        coalesce(plant_months.urban_plants_reporting, 0) as urban_plants_reporting,
        expected.urban_plants_expected,
        coalesce(plant_months.county_plants_reporting, 0) as county_plants_reporting,
        coalesce(plant_months.urban_plants_over_capacity, 0) as urban_plants_over_capacity,
        coalesce(plant_months.urban_plants_reporting, 0)
        + coalesce(generated_months.generated_rows, 0) as source_rows
    from months
    cross join expected
    left join plant_months
        on
            months.stat_year = plant_months.stat_year
            and months.stat_month_no = plant_months.stat_month_no
    left join generated_months
        on
            months.stat_year = generated_months.stat_year
            and months.stat_month_no = generated_months.stat_month_no

)

select
    cast(stat_year as integer) as stat_year,
    cast(stat_month_no as integer) as stat_month_no,
    make_date(stat_year, stat_month_no, 1) as month_start,
    cast(urban_treated_10k_t as double) as urban_treated_10k_t,
    cast(urban_generated_10k_t as double) as urban_generated_10k_t,
    case
        when urban_generated_10k_t > 0
            then round(100.0 * urban_treated_10k_t / urban_generated_10k_t, 4)
    end as treatment_rate,
    -- the part of the month's treated volume counted as sewage: at most the month's generated
    -- figure (the excess is storm water, docs/feeds/sewage.md)
    -- (duckdb's least skips nulls: a month without 排放总量 counts nothing)
    case
        when urban_generated_10k_t is not null
            then cast(least(urban_treated_10k_t, urban_generated_10k_t) as double)
    end as urban_counted_10k_t,
    urban_generated_10k_t is not null as has_generated_volume,
    coalesce(urban_treated_10k_t > urban_generated_10k_t, false) as is_treated_above_generated,
    cast(urban_plants_reporting as bigint) as urban_plants_reporting,
    cast(urban_plants_expected as bigint) as urban_plants_expected,
    urban_plants_reporting < urban_plants_expected as is_missing_plants,
    cast(county_plants_reporting as bigint) as county_plants_reporting,
    cast(urban_plants_over_capacity as bigint) as urban_plants_over_capacity,
    cast(source_rows as bigint) as source_rows
from joined
