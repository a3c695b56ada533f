{#- The counted rows of COMPLAINT_CLOSURE_RATE, as the CTEs of one with clause ending in
    kpi_rows: one row per (ticket row, KPI value it is counted in), with is_closed for the
    numerator. int_kpi__complaints aggregates kpi_rows and int_kpi_lineage__complaints lists
    them, so the value and its lineage cannot disagree. Also defines scopes (every value). -#}
{% macro complaints_kpi_rows() -%}
tickets as (

    select * from {{ ref('int_complaints__current') }}

),

hotlines as (

    select * from {{ ref('ref_complaint_hotlines') }}

),

counties as (

    select * from {{ ref('ref_counties') }}

),

data_date as (

    select cast(max(received_at) as date) as as_of_on
    from tickets

),

with_deadline as (

    select
        tickets.source_sha256,
        tickets.source_row,
        tickets.county_code,
        tickets.is_closed,
        tickets.is_accepted,
        tickets.ticket_type,
        coalesce(tickets.due_on, tickets.received_on + hotlines.deadline_days) as deadline_on
    from tickets
    inner join hotlines on tickets.hotline_code = hotlines.hotline_code

),

due as (

    select
        with_deadline.source_sha256,
        with_deadline.source_row,
        with_deadline.county_code,
        with_deadline.is_closed,
        cast(year(with_deadline.deadline_on) as integer) as kpi_year
    from with_deadline
    cross join data_date
    where
        with_deadline.is_accepted
        and with_deadline.ticket_type is distinct from 'inquiry'
        and with_deadline.deadline_on < data_date.as_of_on

),

years as (

    select distinct received_year as kpi_year
    from tickets

),

scopes as (

    select
        years.kpi_year,
        'city' as scope_type,
        '{{ var("city_code") }}' as scope_code
    from years
    union all
    select
        years.kpi_year,
        'county' as scope_type,
        counties.county_code as scope_code
    from years
    cross join counties

),

-- a due ticket counts in the city value of its year and in its county's (a ticket of a
-- county outside ref_counties in the city value only); a deadline year without registered
-- tickets has no value yet, so its tickets are not counted anywhere
kpi_rows as (

    select
        scopes.kpi_year,
        scopes.scope_type,
        scopes.scope_code,
        due.source_sha256,
        due.source_row,
        due.is_closed
    from scopes
    inner join due
        on
            scopes.kpi_year = due.kpi_year
            and (scopes.scope_type = 'city' or scopes.scope_code = due.county_code)

)
{%- endmacro %}
