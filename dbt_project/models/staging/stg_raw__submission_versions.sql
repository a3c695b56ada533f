-- 报送版本: one row per processed workbook (accepted, returned or rejected), as the intake
-- recorded it. Which version is current is decided in int_submissions__versions_ranked.

with

source as (

    select * from {{ source('raw', 'submission_versions') }}

),

renamed as (

    select
        sha256,
        source_file,
        file_bytes,
        received_at,
        cast(received_at as date) as received_on,
        ingested_at,
        template_version,
        unit_code,
        period_code,
        {{ period_year_of('period_code') }} as period_year,
        {{ period_kind_of('period_code') }} as period_kind,
        status,
        rows_read,
        rows_loaded,
        rows_quarantined,
        problem_count,
        file_problems,
        reason,
        feedback_path,
        stored_path

    from source

)

select * from renamed
