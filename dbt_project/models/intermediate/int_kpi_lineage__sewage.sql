-- 溯源 of URBAN_SEWAGE_TREATMENT_RATE: the rows each yearly city value counts. The months of
-- int_sewage__months count the current plant rows of 市区 plants (ref_sewage_plants.is_urban)
-- and the month's 市区污水排放总量 rows; county plants' rows and rows of plants outside the
-- register count nothing, so they are not listed.

with

current_rows as (

    select * from {{ ref('int_sewage__current') }}

),

plants as (

    select * from {{ ref('ref_sewage_plants') }}

),

kpi_values as (

    select * from {{ ref('int_kpi__sewage') }}

),

counted as (

    -- plant rows: the same inner join and is_urban filter as int_sewage__months
    select
        current_rows.stat_year,
        current_rows.source_sha256,
        current_rows.source_row
    from current_rows
    inner join plants on current_rows.plant_code = plants.plant_code
    where current_rows.is_plant_row and plants.is_urban

    union all

    -- 排放总量 rows
    select
        stat_year,
        source_sha256,
        source_row
    from current_rows
    where not is_plant_row

)

select
    kpi_values.kpi_code,
    kpi_values.kpi_year,
    kpi_values.scope_type,
    kpi_values.scope_code,
    'sewage' as feed,
    counted.source_sha256,
    cast(counted.source_row as integer) as source_row,
    cast(null as varchar) as source_part
from counted
inner join kpi_values on counted.stat_year = kpi_values.kpi_year
