{#- GB 3838-2002 表1 single-factor classification (单因子评价法, 《地表水环境质量评价办法（试行）》
    环办〔2011〕22号 二、(一)): each factor's class is the best class whose limit it meets (equal
    limits give the better class: COD 15 is Ⅰ), the water's class is its worst factor's; above
    Ⅴ is 劣Ⅴ. Ranks Ⅰ=1 … 劣Ⅴ=6. `relation` has `keys`, is_lake_reservoir (lake/reservoir TP
    limits) and one column per factor; the select returns keys, <factor>_class_rank and
    class_rank. A factor not measured (null, e.g. BOD5) is not evaluated. -#}
{% macro gb3838_factors() -%}
{{ return(['cod', 'nh3n', 'tp', 'dissolved_oxygen', 'codmn', 'bod5']) }}
{%- endmacro %}

{% macro gb3838_classify(relation, keys) -%}
{%- set key_list = keys | join(', ') -%}
select
    {{ key_list }},
    {%- for factor in gb3838_factors() %}
    max(case when parameter = '{{ factor }}' then factor_rank end) as {{ factor }}_class_rank,
    {%- endfor %}
    max(factor_rank) as class_rank
from (
    select
        {%- for key in keys %}
        factor_values.{{ key }},
        {%- endfor %}
        factor_values.parameter,
        case
            when limits.direction = 'min' then
                case
                    when factor_values.concentration >= limits.class_1 then 1
                    when factor_values.concentration >= limits.class_2 then 2
                    when factor_values.concentration >= limits.class_3 then 3
                    when factor_values.concentration >= limits.class_4 then 4
                    when factor_values.concentration >= limits.class_5 then 5
                    else 6
                end
            else
                case
                    when factor_values.concentration <= limits.class_1 then 1
                    when factor_values.concentration <= limits.class_2 then 2
                    when factor_values.concentration <= limits.class_3 then 3
                    when factor_values.concentration <= limits.class_4 then 4
                    when factor_values.concentration <= limits.class_5 then 5
                    else 6
                end
        end as factor_rank
    from (
        {%- for factor in gb3838_factors() %}
        select
            {{ key_list }},
            is_lake_reservoir,
            '{{ factor }}' as parameter,
            {{ factor }} as concentration
        from {{ relation }}
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ) as factor_values
    inner join {{ ref('ref_gb3838_limits') }} as limits
        on
            factor_values.parameter = limits.parameter
            and limits.water_body = case when factor_values.is_lake_reservoir then 'lake' else 'river' end
    where factor_values.concentration is not null
) as ranked
group by {{ key_list }}
{%- endmacro %}

{#- The class of a rank as 水质类别 labels read it. -#}
{% macro gb3838_class_label(rank) -%}
case {{ rank }}
    when 1 then 'Ⅰ类'
    when 2 then 'Ⅱ类'
    when 3 then 'Ⅲ类'
    when 4 then 'Ⅳ类'
    when 5 then 'Ⅴ类'
    when 6 then '劣Ⅴ类'
end
{%- endmacro %}
