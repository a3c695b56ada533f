-- The incident KPIs, per calendar year of 发生日期, from the current rows
-- (int_incidents__current), for the city (scope_code = var city_code) and every county:
--   REGIONAL_SYSTEMIC_INCIDENTS              区域性、系统性产品质量安全事件数 (product domains)
--   REGIONAL_SYSTEMIC_INCIDENTS_COUNTY       区域性、系统性质量安全事件数 (every domain)
--   MAJOR_TOURISM_ACCIDENTS                  重大及以上旅游质量事故数
--   SCHOOL_FOOD_POISONING_INCIDENTS          学校（含幼儿园）食物中毒事件数
--   CONSTRUCTION_INCIDENT_INVESTIGATION_RATE 已组织或参与调查处理的工程质量事故 ÷ 工程质量事故 × 100
-- Which domains a KPI counts is the seed ref_incident_kpi_domains. A year is emitted only when
-- its reporting is complete for the KPI (int_incidents__kpi_years): then a count has a row for
-- the city and for every county, 0 where nothing happened; the rate has a city row (numerator
-- 0, denominator 0, actual_value null in a year without construction incidents) and a row for
-- each county that had construction incidents. Counts carry numerator = the count and no
-- denominator; source_rows is the number of current incident rows of the KPI's domains.

with

incidents as (

    select * from {{ ref('int_incidents__current') }}

),

kpi_domains as (

    select * from {{ ref('ref_incident_kpi_domains') }}

),

complete_years as (

    select
        kpi_code,
        kpi_year
    from {{ ref('int_incidents__kpi_years') }}
    where is_complete

),

counties as (

    select county_code from {{ ref('ref_counties') }}

),

scoped as (

    select
        kpi_domains.kpi_code,
        incidents.occurred_year as kpi_year,
        incidents.county_code,
        coalesce(
            case kpi_domains.kpi_code
                when 'REGIONAL_SYSTEMIC_INCIDENTS' then incidents.is_regional_systemic
                when 'REGIONAL_SYSTEMIC_INCIDENTS_COUNTY' then incidents.is_regional_systemic
                when 'MAJOR_TOURISM_ACCIDENTS'
                    then incidents.severity_level in ('major', 'especially_major')
                when 'SCHOOL_FOOD_POISONING_INCIDENTS'
                    then incidents.incident_type = 'food_poisoning' and incidents.is_school_setting
                when 'CONSTRUCTION_INCIDENT_INVESTIGATION_RATE' then incidents.is_investigated
            end,
            false
        ) as is_event
    from incidents
    inner join kpi_domains on incidents.domain_code = kpi_domains.domain_code

),

scopes as (

    select
        kpi_code,
        kpi_year,
        'city' as scope_type,
        '{{ var("city_code") }}' as scope_code
    from complete_years
    union all
    select
        complete_years.kpi_code,
        complete_years.kpi_year,
        'county' as scope_type,
        counties.county_code as scope_code
    from complete_years
    cross join counties

),

measured as (

    select
        scopes.kpi_code,
        scopes.kpi_year,
        scopes.scope_type,
        scopes.scope_code,
        scopes.kpi_code = 'CONSTRUCTION_INCIDENT_INVESTIGATION_RATE' as is_rate,
        count(scoped.kpi_code) filter (where scoped.is_event) as events,
        count(scoped.kpi_code) as incidents
    from scopes
    left join scoped
        on
            scopes.kpi_code = scoped.kpi_code
            and scopes.kpi_year = scoped.kpi_year
            and (scopes.scope_type = 'city' or scopes.scope_code = scoped.county_code)
    group by scopes.kpi_code, scopes.kpi_year, scopes.scope_type, scopes.scope_code

)

select
    kpi_code,
    cast(kpi_year as integer) as kpi_year,
    scope_type,
    scope_code,
    cast(events as double) as numerator,
    cast(case when is_rate then incidents end as double) as denominator,
    cast(
        case
            when not is_rate then events
            when incidents > 0 then round(100.0 * events / incidents, 4)
        end as double
    ) as actual_value,
    cast(null as double) as reported_prior_value,
    cast(incidents as bigint) as source_rows
from measured
where not (is_rate and scope_type = 'county' and incidents = 0)
