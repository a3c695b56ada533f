with

source as (

    select * from {{ source('raw', 'repeated_deliveries') }}

)

select
    feed,
    sha256 as source_sha256,
    source_file,
    first_source_file,
    delivery_source,
    delivery_period,
    received_at,
    ingested_at

from source
