with

source as (

    select * from {{ source('raw', 'construction_acceptance') }}

),

renamed as (

    select
        project_id,
        project_name,
        county_code,
        county_code_original,
        project_type,
        project_type_original,
        started_on,
        accepted_on,
        cast(year(accepted_on) as integer) as acceptance_year,
        verdict,
        verdict_original,
        verdict = 'pass' as is_pass,
        failure_reason,
        supervising_body,
        developer,
        contractor,
        floor_area,
        has_commitment_letter,
        has_permanent_sign,
        has_quality_archive,
        -- a blank flag is "not evidenced", so it counts as not in place (docs/feeds)
        coalesce(has_commitment_letter and has_permanent_sign and has_quality_archive, false)
            as has_all_lifetime_records,
        _source_sha256 as source_sha256,
        _source_file as source_file,
        _source_row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
