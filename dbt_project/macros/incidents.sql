{#- The counted rows of the incident KPIs, as the CTEs of one with clause ending in kpi_rows:
    one row per (current incident row, KPI value it is counted in). A count KPI counts its
    events; the rate CONSTRUCTION_INCIDENT_INVESTIGATION_RATE counts every construction
    incident (its denominator; is_event marks the investigated ones, its numerator).
    int_kpi__incidents aggregates kpi_rows and int_kpi_lineage__incidents lists them, so a
    value and its lineage cannot disagree. Also defines scopes (every value). -#}
{% macro incidents_kpi_rows() -%}
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
        incidents.source_sha256,
        incidents.source_row,
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

-- an incident counts in the city value and in its county's, in complete years only; a
-- non-event of a count KPI (a 较大 tourism accident, say) is not counted in any value
kpi_rows as (

    select
        scopes.kpi_code,
        scopes.kpi_year,
        scopes.scope_type,
        scopes.scope_code,
        scoped.source_sha256,
        scoped.source_row,
        scoped.is_event
    from scopes
    inner join scoped
        on
            scopes.kpi_code = scoped.kpi_code
            and scopes.kpi_year = scoped.kpi_year
            and (scopes.scope_type = 'city' or scopes.scope_code = scoped.county_code)
    where scoped.is_event or scoped.kpi_code = 'CONSTRUCTION_INCIDENT_INVESTIGATION_RATE'

)
{%- endmacro %}
