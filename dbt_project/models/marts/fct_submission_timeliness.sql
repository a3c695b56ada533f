-- 报送及时性: one row per reporting obligation (unit × period), with what arrived and when.
--   on_time 按时     the first accepted version was received on or before the due date
--   late    逾期报送 the first accepted version was received after the due date
--   missing 未报送   no accepted version, and the due date has passed (returned versions may
--                    exist: see has_returned_version and timeliness_note)
--   not_due 未到期   no accepted version yet, and the due date has not passed (as of today,
--                    Beijing, or var as_of_date)
-- Receipt times and due dates are both Beijing time; a version received on the due date is on time.

with

obligations as (

    select * from {{ ref('int_submissions__obligations') }}

),

versions as (

    select * from {{ ref('int_submissions__versions_ranked') }}
    where version_no is not null

),

received as (

    select
        unit_code,
        period_code,
        min(received_at) as first_received_at,
        min(received_at) filter (where status = 'accepted') as accepted_received_at,
        any_value(sha256) filter (where is_first_accepted) as accepted_sha256,
        any_value(sha256) filter (where is_current) as current_sha256,
        any_value(received_at) filter (where is_current) as current_received_at,
        count(*) as versions_count,
        count(*) filter (where status = 'accepted') as accepted_count,
        count(*) filter (where status = 'returned') as returned_count
    from versions
    group by unit_code, period_code

),

joined as (

    select
        obligations.*,
        received.first_received_at,
        received.accepted_received_at,
        received.accepted_sha256,
        received.current_sha256,
        received.current_received_at,
        coalesce(received.versions_count, 0) as versions_count,
        coalesce(received.accepted_count, 0) as accepted_count,
        coalesce(received.returned_count, 0) as returned_count,
        obligations.due_date < {{ as_of_date() }} as is_due
    from obligations
    left join received
        on
            obligations.unit_code = received.unit_code
            and obligations.period_code = received.period_code

),

judged as (

    select
        *,
        case
            when accepted_received_at is not null
                then
                    case
                        when cast(accepted_received_at as date) <= due_date then 'on_time'
                        else 'late'
                    end
            when is_due then 'missing'
            else 'not_due'
        end as timeliness
    from joined

)

select
    unit_code,
    unit_name,
    unit_short_name,
    unit_type,
    county_code,
    period_code,
    period_year,
    period_kind,
    period_label,
    period_start,
    period_end,
    due_date,
    is_due,
    cast(first_received_at as timestamp) as first_received_at,
    cast(accepted_received_at as timestamp) as accepted_received_at,
    accepted_sha256,
    current_sha256,
    cast(current_received_at as timestamp) as current_received_at,
    cast(versions_count as integer) as versions_count,
    cast(accepted_count as integer) as accepted_count,
    cast(returned_count as integer) as returned_count,
    returned_count > 0 as has_returned_version,
    timeliness,
    case timeliness
        when 'on_time' then '按时'
        when 'late' then '逾期报送'
        when 'missing' then '未报送'
        else '未到期'
    end as timeliness_label,
    case
        when timeliness = 'on_time' then 0
        when timeliness = 'late'
            then cast(date_diff('day', due_date, cast(accepted_received_at as date)) as integer)
    end as days_late,
    case
        when timeliness = 'late' and cast(first_received_at as date) <= due_date
            then '按期报送但被退回，修改后的版本逾期受理'
        when timeliness in ('missing', 'not_due') and returned_count > 0
            then '已报送' || returned_count || '个版本，均被退回修改，尚无已受理版本'
        when timeliness = 'missing' then '未收到报送表'
    end as timeliness_note
from judged
