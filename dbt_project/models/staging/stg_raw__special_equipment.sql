with

source as (

    select * from {{ source('raw', 'special_equipment') }}

),

renamed as (

    select
        report_no,
        equipment_code,
        category_code,
        category_code_original,
        county_code,
        county_code_original,
        user_unit,
        inspection_agency,
        inspection_agency_original,
        inspection_type,
        inspection_type_original,
        inspected_on,
        cast(year(inspected_on) as integer) as inspection_year,
        verdict,
        verdict_original,
        verdict in ('pass', 'retest_pass') as is_pass,
        next_due_on,
        hazards_found,
        hazards_rectified,
        major_hazards_found,
        major_hazards_listed,
        major_hazards_found > 0 as has_major_hazard,
        remarks,
        _source_sha256 as source_sha256,
        _source_file as source_file,
        _source_row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
