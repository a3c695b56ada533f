with

source as (

    select * from {{ source('raw', 'drinking_water') }}

),

renamed as (

    select
        source_code,
        source_code_original,
        sampled_on,
        cast(year(sampled_on) as integer) as sample_year,
        strftime(sampled_on, '%Y-%m') as sample_month,
        volume_10k_t,
        verdict,
        verdict_original,
        verdict = 'pass' as is_pass,
        exceedance_items,
        fluoride_mg_l,
        manganese_mg_l,
        nitrate_n_mg_l,
        remarks,
        _source_sha256 as source_sha256,
        _source_file as source_file,
        _source_row as source_row,
        _loaded_at as loaded_at

    from source

)

select * from renamed
