with

source as (

    select * from {{ source('raw', 'service_satisfaction') }}

),

renamed as (

    select
        institute,
        institute_original,
        survey_id,
        survey_name,
        sector_code,
        sector_code_original,
        county_code,
        county_code_original,
        county_code is null as is_city_wide,
        fieldwork_start,
        fieldwork_end,
        cast(year(fieldwork_end) as integer) as survey_year,
        measure,
        sample_size,
        satisfied_count,
        satisfaction_score,
        case
            when measure = 'top2_share' and sample_size > 0
                then round(100.0 * satisfied_count / sample_size, 4)
        end as top2_share_pct,
        remarks,
        _source_sha256 as source_sha256,
        _source_file as source_file,
        _source_row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
