-- 特种设备检验情况（按类别）: the current inspection rows per year of 检验日期, county, category
-- and 检验类别 (定期检验 / 监督检验), with pass rate and hazard counts: what the bureau's
-- monthly 特种设备安全状况 report tabulates next to the 挂牌督办率.

with

inspections as (

    select * from {{ ref('int_special_equipment__current') }}

),

grouped as (

    select
        inspection_year,
        county_code,
        category_code,
        inspection_type,
        count(*) as inspections,
        count(distinct equipment_code) as units_inspected,
        count(*) filter (where is_pass) as passed,
        count(*) filter (where verdict = 'conditional') as conditional,
        count(*) filter (where verdict = 'fail') as failed,
        sum(hazards_found) as hazards_found,
        sum(hazards_rectified) as hazards_rectified,
        sum(major_hazards_found) as major_hazards_found,
        sum(major_hazards_listed) as major_hazards_listed
    from inspections
    group by inspection_year, county_code, category_code, inspection_type

)

select
    cast(inspection_year as integer) as inspection_year,
    county_code,
    category_code,
    inspection_type,
    cast(inspections as bigint) as inspections,
    cast(units_inspected as bigint) as units_inspected,
    cast(passed as bigint) as passed,
    cast(conditional as bigint) as conditional,
    cast(failed as bigint) as failed,
    round(100.0 * passed / inspections, 4) as pass_rate,
    cast(hazards_found as bigint) as hazards_found,
    cast(hazards_rectified as bigint) as hazards_rectified,
    case
        when hazards_found > 0 then round(100.0 * hazards_rectified / hazards_found, 4)
    end as rectification_rate,
    cast(major_hazards_found as bigint) as major_hazards_found,
    cast(major_hazards_listed as bigint) as major_hazards_listed
from grouped
