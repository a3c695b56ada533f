with

source as (

    select * from {{ source('raw', 'ingested_files') }}

)

select
    feed,
    sha256 as source_sha256,
    source_file,
    file_bytes,
    status as file_status,
    rows_read,
    rows_loaded,
    rows_quarantined,
    rows_set_aside,
    reason as rejection_reason,
    stored_path,
    sheet as source_sheet,
    encoding as source_encoding,
    header_map,
    ingested_at,
    delivery_source,
    delivery_period,
    received_at

from source
