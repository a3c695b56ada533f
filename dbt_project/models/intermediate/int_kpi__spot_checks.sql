-- 制造业产品质量合格率 (KPI MFG_PASS_RATE): batches that passed / batches sampled in
-- manufacturing product supervision (监督抽查), per calendar year of sampling, for the city
-- and for each county-level unit.

with

batches as (

    select * from {{ ref('int_spot_checks__current') }}
    where stream_code = 'manufacturing'

),

by_county as (

    select
        sample_year as kpi_year,
        'county' as scope_type,
        county_code as scope_code,
        count(*) filter (where is_pass) as numerator,
        count(*) as denominator
    from batches
    group by sample_year, county_code

),

city as (

    select
        sample_year as kpi_year,
        'city' as scope_type,
        '{{ var("city_code") }}' as scope_code,
        count(*) filter (where is_pass) as numerator,
        count(*) as denominator
    from batches
    group by sample_year

),

unioned as (

    select * from city
    union all
    select * from by_county

)

select
    'MFG_PASS_RATE' as kpi_code,
    cast(kpi_year as integer) as kpi_year,
    scope_type,
    scope_code,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    round(100.0 * numerator / denominator, 4) as actual_value,
    cast(null as double) as reported_prior_value,
    cast(denominator as bigint) as source_rows
from unioned
