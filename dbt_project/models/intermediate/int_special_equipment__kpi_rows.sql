-- 特种设备检验结果（计入挂牌督办率的检验）: one row per current inspection row with a major
-- hazard (重大隐患数 > 0), for the city and for its county. Only these rows move the
-- 挂牌督办率 (listed ≤ found, so a row without a major hazard adds 0 / 0): the KPI
-- (int_kpi__special_equipment) sums them and its lineage (int_kpi_lineage__special_equipment)
-- lists them, so an auditor is shown the inspections that found the hazards counted.

with

inspections as (

    select * from {{ ref('int_special_equipment__current') }}

),

counted as (

    select * from inspections
    where major_hazards_found > 0

),

scoped as (

    select
        inspection_year,
        'city' as scope_type,
        '{{ var("city_code") }}' as scope_code,
        major_hazards_listed,
        major_hazards_found,
        source_sha256,
        source_row
    from counted

    union all

    select
        inspection_year,
        'county' as scope_type,
        county_code as scope_code,
        major_hazards_listed,
        major_hazards_found,
        source_sha256,
        source_row
    from counted

)

select
    'SPECIAL_EQUIP_MAJOR_HAZARD_LISTED_RATE' as kpi_code,
    cast(inspection_year as integer) as kpi_year,
    scope_type,
    scope_code,
    major_hazards_listed,
    major_hazards_found,
    source_sha256,
    cast(source_row as integer) as source_row
from scoped
