-- 特种设备重大质量安全隐患挂牌督办率 (KPI SPECIAL_EQUIP_MAJOR_HAZARD_LISTED_RATE): major hazards
-- listed for supervision (挂牌督办) / major hazards found × 100, over the current inspection
-- rows of a calendar year of 检验日期, for the city and for every county-level unit. A year or
-- county without a major hazard has 0 / 0: its value is null (不适用), neither 0 % nor 100 %.
-- The sums are over the inspections with a major hazard (int_special_equipment__kpi_rows),
-- the rows the lineage lists; source_rows counts them.

with

inspections as (

    select * from {{ ref('int_special_equipment__current') }}

),

kpi_rows as (

    select * from {{ ref('int_special_equipment__kpi_rows') }}

),

counties as (

    select county_code from {{ ref('ref_counties') }}

),

-- the years the feed has current rows for: the city and every county get a row in each
years as (

    select distinct inspection_year as kpi_year from inspections

),

scopes as (

    select
        'city' as scope_type,
        '{{ var("city_code") }}' as scope_code
    union all
    select
        'county' as scope_type,
        county_code as scope_code
    from counties

),

tallied as (

    select
        kpi_year,
        scope_type,
        scope_code,
        sum(major_hazards_listed) as listed,
        sum(major_hazards_found) as found,
        count(*) as inspections
    from kpi_rows
    group by kpi_year, scope_type, scope_code

),

gridded as (

    select
        years.kpi_year,
        scopes.scope_type,
        scopes.scope_code,
        coalesce(tallied.listed, 0) as numerator,
        coalesce(tallied.found, 0) as denominator,
        coalesce(tallied.inspections, 0) as source_rows
    from years
    cross join scopes
    left join tallied
        on
            years.kpi_year = tallied.kpi_year
            and scopes.scope_type = tallied.scope_type
            and scopes.scope_code = tallied.scope_code

)

select
    'SPECIAL_EQUIP_MAJOR_HAZARD_LISTED_RATE' as kpi_code,
    cast(kpi_year as integer) as kpi_year,
    scope_type,
    scope_code,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    case
        when denominator > 0 then round(100.0 * numerator / denominator, 4)
    end as actual_value,
    cast(null as double) as reported_prior_value,
    cast(source_rows as bigint) as source_rows
from gridded
