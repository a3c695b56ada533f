-- 报告完整性: whether a year's incident counts can be stated, per KPI. A count of 0 is a real,
-- met value only when every department that leads one of the KPI's domains
-- (ref_incident_kpi_domains → ref_incident_domains.lead_unit_code) has a current delivery
-- (incidents or a 零报告) for every month of the year up to the latest complete month before
-- as_of_date(). One row per KPI and year with any incidents delivery; is_complete decides
-- whether int_kpi__incidents emits the year. missing_slots names what is still owed.

with

kpi_reporters as (

    select distinct
        kpi_domains.kpi_code,
        domains.lead_unit_code as unit_code
    from {{ ref('ref_incident_kpi_domains') }} as kpi_domains
    inner join {{ ref('ref_incident_domains') }} as domains
        on kpi_domains.domain_code = domains.domain_code

),

reporters as (

    select * from {{ ref('ref_incident_reporters') }}

),

deliveries as (

    select
        delivery_source as unit_code,
        delivery_period
    from {{ ref('int_deliveries__ranked') }}
    where feed = 'incidents' and is_current

),

bounds as (

    -- months before the month of as_of_date are complete
    select cast(date_trunc('month', {{ as_of_date() }}) as date) as first_open_month

),

years as (

    select distinct cast(left(delivery_period, 4) as integer) as kpi_year
    from deliveries

),

months as (

    select
        years.kpi_year,
        cast(unnest(generate_series(
            make_date(years.kpi_year, 1, 1), make_date(years.kpi_year, 12, 1), interval 1 month
        )) as date) as month_start
    from years

),

required_months as (

    select
        months.kpi_year,
        strftime(months.month_start, '%Y-%m') as period
    from months
    cross join bounds
    where months.month_start < bounds.first_open_month

),

required_slots as (

    select
        kpi_reporters.kpi_code,
        required_months.kpi_year,
        required_months.period,
        kpi_reporters.unit_code,
        deliveries.unit_code is not null as is_delivered
    from kpi_reporters
    inner join required_months on true
    left join deliveries
        on
            kpi_reporters.unit_code = deliveries.unit_code
            and required_months.period = deliveries.delivery_period

),

grid as (

    select distinct
        kpi_reporters.kpi_code,
        years.kpi_year
    from kpi_reporters
    cross join years

),

summarised as (

    select
        grid.kpi_code,
        grid.kpi_year,
        count(distinct required_slots.period) as required_months,
        count(required_slots.unit_code) as required_slots,
        count(*) filter (where required_slots.is_delivered) as delivered_slots,
        string_agg(
            reporters.short_name || ' ' || required_slots.period, '; '
            order by required_slots.period, reporters.short_name
        ) filter (where not required_slots.is_delivered) as missing_slots
    from grid
    left join required_slots
        on
            grid.kpi_code = required_slots.kpi_code
            and grid.kpi_year = required_slots.kpi_year
    left join reporters on required_slots.unit_code = reporters.unit_code
    group by grid.kpi_code, grid.kpi_year

)

select
    summarised.kpi_code,
    cast(summarised.kpi_year as integer) as kpi_year,
    strftime(bounds.first_open_month - interval 1 month, '%Y-%m') as complete_through,
    cast(summarised.required_months as integer) as required_months,
    cast(summarised.required_slots as integer) as required_slots,
    cast(summarised.delivered_slots as integer) as delivered_slots,
    summarised.missing_slots,
    summarised.required_months > 0
    and summarised.delivered_slots = summarised.required_slots as is_complete
from summarised
cross join bounds
