-- 申诉举报工单（已清洗）: every loaded row of every delivery, replaced exports included (history).
-- The ticket's registration time is ticket_received_at here: received_at is the delivery's
-- receipt time in the current-rows macro.

with

source as (

    select * from {{ source('raw', 'complaints') }}

),

renamed as (

    select
        hotline_code,
        hotline_code_original,
        ticket_no,
        received_at as ticket_received_at,
        cast(received_at as date) as received_on,
        cast(year(received_at) as integer) as received_year,
        ticket_type,
        ticket_type_original,
        channel,
        channel_original,
        domain,
        domain_original,
        county_code,
        county_code_original,
        respondent,
        summary,
        handling_unit,
        due_on,
        status,
        status_original,
        status != 'rejected' as is_accepted,
        status in ('closed', 'withdrawn') as is_closed,
        outcome,
        outcome_original,
        outcome_note,
        closed_at,
        cast(closed_at as date) as closed_on,
        date_diff('day', cast(received_at as date), cast(closed_at as date)) as handling_days,
        _source_sha256 as source_sha256,
        _source_file as source_file,
        _source_row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
