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
        city_name,
        -- where the batch counts: its 县区, else the city named in 市, else 未注明 (the table
        -- names no place; the row counts for the city only, and says so)
        case
            when county_code is not null then '县区'
            when city_name is not null then '市'
            else '未注明'
        end as location_basis,
        -- the two roles, as published: the unit sampled (often a seller) and the manufacturer
        sampled_unit_name,
        sampled_unit_address,
        manufacturer_name,
        -- the unit the batch is recorded against: the sampled unit, else the manufacturer
        coalesce(sampled_unit_name, manufacturer_name) as enterprise_name,
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
        -- a published 不合格产品 list (failed batches only; docs/feeds/spot_checks.md): no
        -- pass-rate KPI counts it, and its date may stand in for the sampling date
        coalesce(failure_list, false) as is_failure_list,
        coalesce(sampling_date_basis, '抽样日期') as sampling_date_basis,
        _source_sha256 as source_sha256,
        _source_file as source_file,
        _source_row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
