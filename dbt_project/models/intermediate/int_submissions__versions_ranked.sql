-- 报送版本排序: every version of every (unit, period), numbered by receipt. The current
-- version is the latest ACCEPTED one (a later returned version does not replace it). Ties on
-- received_at are broken by sha256, so the choice is deterministic. Rejected files name no
-- unit or period: they get no number and are never current.

with

versions as (

    select * from {{ ref('stg_raw__submission_versions') }}

),

identified as (

    select
        *,
        unit_code is not null and period_code is not null as is_identified
    from versions

),

numbered as (

    select
        *,
        row_number() over (
            partition by unit_code, period_code
            order by received_at, sha256
        ) as receipt_rank,
        row_number() over (
            partition by unit_code, period_code, status = 'accepted'
            order by received_at, sha256
        ) as rank_in_status,
        count(*) over (
            partition by unit_code, period_code, status = 'accepted'
        ) as count_in_status
    from identified

)

select
    sha256,
    unit_code,
    period_code,
    period_year,
    period_kind,
    status,
    case when is_identified then cast(receipt_rank as integer) end as version_no,
    case
        when is_identified and status = 'accepted' then cast(rank_in_status as integer)
    end as accepted_version_no,
    is_identified and status = 'accepted' and rank_in_status = count_in_status as is_current,
    is_identified and status = 'accepted' and rank_in_status = 1 as is_first_accepted,
    received_at,
    received_on,
    ingested_at,
    source_file,
    file_bytes,
    template_version,
    rows_read,
    rows_loaded,
    rows_quarantined,
    problem_count,
    reason,
    feedback_path,
    stored_path
from numbered
