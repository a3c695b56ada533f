-- Every loaded feed file in its delivery slot (feed, source, period), numbered by receipt:
-- the latest is current and replaces the slot's earlier files, whose rows stay in raw as
-- history. A file whose every row was quarantined does not replace anything (a failed
-- correction must not blank a period); a file with no rows at all does (it says "none").

with

files as (

    select * from {{ ref('stg_raw__ingested_files') }}
    where
        file_status = 'loaded'
        and delivery_period is not null

),

eligible as (

    select
        *,
        rows_loaded > 0 or rows_read = 0 as can_replace
    from files

),

ranked as (

    select
        feed,
        source_sha256,
        source_file,
        delivery_source,
        delivery_period,
        received_at,
        ingested_at,
        rows_read,
        rows_loaded,
        rows_quarantined,
        can_replace,
        row_number() over (
            partition by feed, delivery_source, delivery_period
            order by received_at, ingested_at, source_sha256
        ) as version_no,
        row_number() over (
            partition by feed, delivery_source, delivery_period, can_replace
            order by received_at desc, ingested_at desc, source_sha256 desc
        ) as recency
    from eligible

)

select
    feed,
    source_sha256,
    source_file,
    delivery_source,
    delivery_period,
    received_at,
    ingested_at,
    rows_read,
    rows_loaded,
    rows_quarantined,
    version_no,
    can_replace and recency = 1 as is_current
from ranked
