-- 受理申诉举报办结率 (KPI COMPLAINT_CLOSURE_RATE): 已办结件数 ÷ 办理期限已届满的受理件数 × 100,
-- all hotlines pooled, for the city and each county-level unit.
-- Readings (docs/feeds/complaints.md):
-- * a ticket counts in the year its handling deadline falls in: the export's 办理期限 when it
--   has one, else 登记日 + the hotline's deadline_days (ref_complaint_hotlines);
-- * counted: accepted tickets (not 不予受理) that are not 咨询, whose deadline day is over by
--   the data date, the receipt day of the newest current export (how far the platform's
--   knowledge of ticket states reaches);
-- * 已办结 = closed or withdrawn in the ticket's current export, on time or late;
-- * a year gets rows once tickets were registered in it (tickets of December due in the next
--   year wait for that year's data).

with

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

counted as (

    select
        kpi_year,
        'city' as scope_type,
        '{{ var("city_code") }}' as scope_code,
        count(*) filter (where is_closed) as numerator,
        count(*) as denominator
    from due
    group by kpi_year
    union all
    select
        kpi_year,
        'county' as scope_type,
        county_code as scope_code,
        count(*) filter (where is_closed) as numerator,
        count(*) as denominator
    from due
    group by kpi_year, county_code

),

joined as (

    select
        scopes.kpi_year,
        scopes.scope_type,
        scopes.scope_code,
        coalesce(counted.numerator, 0) as numerator,
        coalesce(counted.denominator, 0) as denominator
    from scopes
    left join counted
        on
            scopes.kpi_year = counted.kpi_year
            and scopes.scope_type = counted.scope_type
            and scopes.scope_code = counted.scope_code

)

select
    'COMPLAINT_CLOSURE_RATE' as kpi_code,
    cast(kpi_year as integer) as kpi_year,
    scope_type,
    scope_code,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    case
        when denominator > 0 then round(100.0 * numerator / denominator, 4)
    end as actual_value,
    cast(null as double) as reported_prior_value,
    cast(denominator as bigint) as source_rows
from joined
