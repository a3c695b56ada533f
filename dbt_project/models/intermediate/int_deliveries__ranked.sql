-- Every loaded feed file in its delivery slot (feed, source, period), numbered by receipt:
-- the latest is current and replaces the slot's earlier files, whose rows stay in raw as
-- history. A file whose every row was quarantined does not replace anything (a failed
-- correction must not blank a period); a file with no rows at all does (it says "none").
-- Known content received again (stg_raw__repeated_deliveries) is a receipt of its slot: in
-- its own slot it is that content delivered again (the slot's rows are the content's rows
-- again, when it is the latest receipt); in another slot it says "none" when the content has
-- no rows, else it replaces nothing (its rows count once, in the slot first delivered for).

with

files as (

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
        false as is_repeat,
        rows_loaded > 0 or rows_read = 0 as can_replace
    from {{ ref('stg_raw__ingested_files') }}
    where
        file_status = 'loaded'
        and delivery_period is not null

),

repeats as (

    select
        repeated.feed,
        repeated.source_sha256,
        repeated.source_file,
        repeated.delivery_source,
        repeated.delivery_period,
        repeated.received_at,
        repeated.ingested_at,
        0 as rows_read,
        0 as rows_loaded,
        0 as rows_quarantined,
        true as is_repeat,
        -- in its own slot (source may be null: single-source feeds) the content's rows again
        case
            when
                coalesce(repeated.delivery_source, '') = coalesce(files.delivery_source, '')
                and repeated.delivery_period = files.delivery_period
                then files.can_replace
            else files.rows_read = 0
        end as can_replace
    from {{ ref('stg_raw__repeated_deliveries') }} as repeated
    inner join files
        on
            repeated.feed = files.feed
            and repeated.source_sha256 = files.source_sha256

),

eligible as (

    select * from files
    union all
    select * from repeats

),

ranked as (

    select
        *,
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
    is_repeat,
    can_replace and recency = 1 as is_current
from ranked
