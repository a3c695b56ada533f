{#- HJ 633-2012 air-quality sub-index (IAQI) of a concentration: linear interpolation in the
    breakpoint segment of ref_hj633_iaqi_breakpoints, rounded UP to an integer (HJ 633 §5:
    计算结果应全部进位取整数). At a breakpoint both adjacent segments give the same value.
    Null when the value is null. Above the last breakpoint: 500 (the top of the index), except
    with cap=false (O3 8-h above 800 µg/m³: null, the 1-h IAQI is used instead). -#}
{% macro hj633_iaqi(value, pollutant, period, cap=true) -%}
(
    select coalesce(min(ceil(round(
        (bp.iaqi_hi - bp.iaqi_lo) / (bp.bp_hi - bp.bp_lo) * ({{ value }} - bp.bp_lo)
        + bp.iaqi_lo, 9))) filter (where {{ value }} between bp.bp_lo and bp.bp_hi),
        {% if cap %}case when {{ value }} > max(bp.bp_hi) then 500 end{% else %}null{% endif %})
    from {{ ref('ref_hj633_iaqi_breakpoints') }} as bp
    where
        bp.pollutant = '{{ pollutant }}'
        and bp.averaging_period = '{{ period }}'
)
{%- endmacro %}

{#- The daily index columns from a relation with the daily values pm25, pm10, so2, no2, co
    (24-h means), o3_8h_max and o3_1h_max: IAQI per pollutant, AQI (null when one of the six
    pollutants has no valid daily value), 首要污染物 (AQI > 50) and 优良天 (AQI ≤ 100). -#}
{% macro air_quality_index_columns(relation) -%}
select
    indexed.*,
    case
        when indexed.aqi > 50
            then concat_ws(
                ',',
                case when indexed.iaqi_pm25 = indexed.aqi then 'PM2.5' end,
                case when indexed.iaqi_pm10 = indexed.aqi then 'PM10' end,
                case when indexed.iaqi_so2 = indexed.aqi then 'SO2' end,
                case when indexed.iaqi_no2 = indexed.aqi then 'NO2' end,
                case when indexed.iaqi_co = indexed.aqi then 'CO' end,
                case when indexed.iaqi_o3_8h = indexed.aqi then 'O3_8h' end,
                case when indexed.iaqi_o3_1h = indexed.aqi then 'O3_1h' end
            )
    end as primary_pollutant,
    indexed.aqi <= 100 as is_good_day
from (
    select
        subs.*,
        case
            when
                subs.pm25 is not null and subs.pm10 is not null and subs.so2 is not null
                and subs.no2 is not null and subs.co is not null
                and subs.o3_8h_max is not null
                then cast(greatest(
                    subs.iaqi_pm25, subs.iaqi_pm10, subs.iaqi_so2, subs.iaqi_no2,
                    subs.iaqi_co, subs.iaqi_o3_8h, subs.iaqi_o3_1h
                ) as integer)
        end as aqi
    from (
        select
            src.*,
            cast({{ hj633_iaqi('src.pm25', 'pm25', '24h') }} as integer) as iaqi_pm25,
            cast({{ hj633_iaqi('src.pm10', 'pm10', '24h') }} as integer) as iaqi_pm10,
            cast({{ hj633_iaqi('src.so2', 'so2', '24h') }} as integer) as iaqi_so2,
            cast({{ hj633_iaqi('src.no2', 'no2', '24h') }} as integer) as iaqi_no2,
            cast({{ hj633_iaqi('src.co', 'co', '24h') }} as integer) as iaqi_co,
            cast({{ hj633_iaqi('src.o3_8h_max', 'o3', '8h', cap=false) }} as integer)
                as iaqi_o3_8h,
            cast({{ hj633_iaqi('src.o3_1h_max', 'o3', '1h') }} as integer) as iaqi_o3_1h
        from {{ relation }} as src
    ) as subs
) as indexed
{%- endmacro %}

{#- Whether a station (a relation with ref_air_stations' station_type and is_city_assessment)
    counts for the city figure: a city assessment station that is not synthetic (模拟). One
    definition for the city daily values (int_air_quality__area_daily) and their lineage
    (int_kpi_lineage__air_quality), so the two cannot count different stations. -#}
{% macro air_quality_is_city_station(relation) -%}
({{ relation }}.station_type != '模拟' and {{ relation }}.is_city_assessment)
{%- endmacro %}
