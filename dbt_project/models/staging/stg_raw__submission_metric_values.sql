-- 指标填报: one row per metric line of every workbook read (accepted or returned versions;
-- only the current accepted annual version counts for KPIs).

with

source as (

    select * from {{ source('raw', 'submission_metric_values') }}

),

renamed as (

    select
        unit_code,
        period_code,
        {{ period_year_of('period_code') }} as period_year,
        {{ period_kind_of('period_code') }} as period_kind,
        kpi_code,
        metric_kind,
        value as metric_value,
        value_entered,
        numerator,
        denominator,
        prior_value,
        note,
        _source_sha256 as source_sha256,
        _source_file as source_file,
        _source_sheet as source_sheet,
        _source_row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
