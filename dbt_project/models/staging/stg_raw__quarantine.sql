with

source as (

    select * from {{ source('raw', 'quarantine') }}

)

select
    feed,
    source_file,
    source_sha256,
    source_sheet,
    source_row,
    reason as quarantine_reason,
    problems,
    raw_record,
    coalesce(set_aside, false) as is_set_aside,
    quarantined_at

from source
