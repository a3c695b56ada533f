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
-- denominator. source_rows is the number of incident rows counted in the value: the events
-- of a count, the construction incidents of the rate (its denominator), as listed by
-- int_kpi_lineage__incidents; the counted rows are the shared macro incidents_kpi_rows.

with

{{ incidents_kpi_rows() }},

measured as (

    select
        scopes.kpi_code,
        scopes.kpi_year,
        scopes.scope_type,
        scopes.scope_code,
        scopes.kpi_code = 'CONSTRUCTION_INCIDENT_INVESTIGATION_RATE' as is_rate,
        count(kpi_rows.kpi_code) filter (where kpi_rows.is_event) as events,
        count(kpi_rows.kpi_code) as counted_rows
    from scopes
    left join kpi_rows
        on
            scopes.kpi_code = kpi_rows.kpi_code
            and scopes.kpi_year = kpi_rows.kpi_year
            and scopes.scope_type = kpi_rows.scope_type
            and scopes.scope_code = kpi_rows.scope_code
    group by scopes.kpi_code, scopes.kpi_year, scopes.scope_type, scopes.scope_code

)

select
    kpi_code,
    cast(kpi_year as integer) as kpi_year,
    scope_type,
    scope_code,
    cast(events as double) as numerator,
    cast(case when is_rate then counted_rows end as double) as denominator,
    cast(
        case
            when not is_rate then events
            when counted_rows > 0 then round(100.0 * events / counted_rows, 4)
        end as double
    ) as actual_value,
    cast(null as double) as reported_prior_value,
    cast(counted_rows as bigint) as source_rows
from measured
where not (is_rate and scope_type = 'county' and counted_rows = 0)
