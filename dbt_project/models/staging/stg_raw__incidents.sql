-- 质量安全事件（已清洗）: every loaded incident row, replaced deliveries included (history).
-- The 等级 column carries either a severity grade or, in some departments' templates, the
-- recognition 区域性/系统性; the 性质 column, where a template has one, carries the
-- recognition. Both are split here into severity_level and recognised_as.

with

source as (

    select * from {{ source('raw', 'incidents') }}

),

recognition as (

    select
        *,
        level in ('general', 'relatively_major', 'major', 'especially_major') as level_is_grade,
        coalesce(
            level in ('regional', 'regional_systemic')
            or nature in ('regional', 'regional_systemic'),
            false
        ) as is_regional,
        coalesce(
            level in ('systemic', 'regional_systemic')
            or nature in ('systemic', 'regional_systemic'),
            false
        ) as is_systemic
    from source

),

renamed as (

    select
        incident_id,
        title,
        occurred_on,
        cast(year(occurred_on) as integer) as occurred_year,
        reported_on,
        lead_unit_code,
        lead_unit_code_original,
        county_code,
        county_code_original,
        domain_code,
        domain_code_original,
        incident_type,
        incident_type_original,
        level,
        level_original,
        case when level_is_grade then level end as severity_level,
        nature,
        nature_original,
        case
            when is_regional and is_systemic then 'regional_systemic'
            when is_regional then 'regional'
            when is_systemic then 'systemic'
        end as recognised_as,
        is_regional or is_systemic as is_regional_systemic,
        setting,
        setting_original,
        coalesce(setting in ('school', 'kindergarten'), false) as is_school_setting,
        deaths,
        injured,
        investigation,
        investigation_original,
        investigation_status,
        investigation_status_original,
        investigation in ('organised', 'joined') as is_investigated,
        party,
        summary,
        _source_sha256 as source_sha256,
        _source_file as source_file,
        _source_row as source_row,
        _loaded_at as loaded_at

    from recognition

)

select * from renamed
