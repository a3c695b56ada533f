-- 任务进展: one row per task line of every workbook read (accepted or returned versions;
-- only the current accepted version counts downstream).

with

source as (

    select * from {{ source('raw', 'submission_task_progress') }}

),

renamed as (

    select
        unit_code,
        period_code,
        {{ period_year_of('period_code') }} as period_year,
        {{ period_kind_of('period_code') }} as period_kind,
        task_no,
        role,
        status,
        percent_complete,
        progress_text,
        evidence,
        completed_on,
        _source_sha256 as source_sha256,
        _source_file as source_file,
        _source_sheet as source_sheet,
        _source_row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
