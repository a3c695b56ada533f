-- 空气质量年度评价: annual HJ 663 statistics per station, county and the city.

select * from {{ ref('int_air_quality__annual') }}
