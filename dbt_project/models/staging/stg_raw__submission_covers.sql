-- 报送表封面: one row per workbook read (accepted or returned), with who filled it in.

with

source as (

    select * from {{ source('raw', 'submission_covers') }}

),

renamed as (

    select
        unit_code,
        period_code,
        {{ period_year_of('period_code') }} as period_year,
        {{ period_kind_of('period_code') }} as period_kind,
        reporting_unit_name,
        period_label,
        filled_by,
        phone,
        reviewed_by,
        filled_on,
        _source_sha256 as source_sha256,
        _source_file as source_file,
        _source_sheet as source_sheet,
        _source_row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
