-- 水源地样品及其所代表的取水量: every current sample with its source's county and type, and
-- the share of the source's monthly 取水量 it stands for. A row carries the source's 取水量 of
-- the month; when a source has several samples in a month, the month's volume (the mean of
-- what its rows say, normally one figure repeated) is split equally among them, so the
-- compliant volume of the month = volume × compliant samples / samples.

with

samples as (

    select * from {{ ref('int_drinking_water__current') }}

),

sources as (

    select * from {{ ref('ref_drinking_water_sources') }}

),

per_month as (

    select
        samples.*,
        count(*) over (
            partition by samples.source_code, samples.sample_month
        ) as samples_in_month,
        avg(samples.volume_10k_t) over (
            partition by samples.source_code, samples.sample_month
        ) as month_volume_10k_t
    from samples

)

select
    per_month.source_code,
    sources.source_name,
    sources.county_code,
    sources.source_type,
    sources.level as source_level,
    per_month.sampled_on,
    per_month.sample_year,
    per_month.sample_month,
    per_month.is_pass,
    per_month.exceedance_items,
    per_month.samples_in_month,
    per_month.month_volume_10k_t,
    per_month.month_volume_10k_t / per_month.samples_in_month as volume_share_10k_t,
    per_month.source_sha256,
    per_month.source_row
from per_month
inner join sources on per_month.source_code = sources.source_code
