with

source as (

    select * from {{ source('raw', 'spot_checks') }}

),

renamed as (

    select
        sample_no,
        stream_code,
        stream_code_original,
        sampled_on,
        cast(year(sampled_on) as integer) as sample_year,
        county_code,
        county_code_original,
        enterprise_name,
        credit_code,
        category_code,
        category_code_original,
        product_name,
        spec_model,
        batch_no,
        sampling_org,
        inspection_agency,
        verdict,
        verdict_original,
        verdict = 'pass' as is_pass,
        nonconforming_items,
        _source_sha256 as source_sha256,
        _source_file as source_file,
        _source_row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
