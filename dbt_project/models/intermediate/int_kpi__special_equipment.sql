-- 特种设备重大质量安全隐患挂牌督办率 (KPI SPECIAL_EQUIP_MAJOR_HAZARD_LISTED_RATE): major hazards
-- listed for supervision (挂牌督办) / major hazards found × 100, over the current inspection
-- rows of a calendar year of 检验日期, for the city and for every county-level unit. A year or
-- county without a major hazard has 0 / 0: its value is null (不适用), neither 0 % nor 100 %.

with

inspections as (

    select * from {{ ref('int_special_equipment__current') }}

),

counties as (

    select county_code from {{ ref('ref_counties') }}

),

-- the years the feed has current rows for: every county gets a row in each of them
years as (

    select distinct inspection_year as kpi_year from inspections

),

by_county as (

    select
        inspection_year as kpi_year,
        county_code,
        sum(major_hazards_listed) as listed,
        sum(major_hazards_found) as found,
        count(*) as inspections
    from inspections
    group by inspection_year, county_code

),

county_scope as (

    select
        years.kpi_year,
        'county' as scope_type,
        counties.county_code as scope_code,
        coalesce(by_county.listed, 0) as numerator,
        coalesce(by_county.found, 0) as denominator,
        coalesce(by_county.inspections, 0) as source_rows
    from years
    cross join counties
    left join by_county
        on
            years.kpi_year = by_county.kpi_year
            and counties.county_code = by_county.county_code

),

city_scope as (

    select
        inspection_year as kpi_year,
        'city' as scope_type,
        '{{ var("city_code") }}' as scope_code,
        sum(major_hazards_listed) as numerator,
        sum(major_hazards_found) as denominator,
        count(*) as source_rows
    from inspections
    group by inspection_year

),

unioned as (

    select * from city_scope
    union all
    select * from county_scope

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
from unioned
