{#- A reference list (a seed, edited by hand) is well formed, in one test: one row per `key`,
    each of the `unique` columns (a name, an alias) unique where given, no null in the
    `required` columns, and every row meets each of the `rules` (SQL boolean expressions; null
    counts as met). Returns one row per broken check with its failing rows. -#}
{% test reference_list(model, key, unique=[], required=[], rules=[]) %}
{%- set checks = [] %}
{%- for column in required %}
{%- do checks.append(column ~ ' is not null') %}
{%- endfor %}
{%- do checks.extend(rules) %}
select
    'duplicate key ({{ key | join(", ") }})' as broken_check,
    count(*) as failing_rows
from (
    select {{ key | join(', ') }}
    from {{ model }}
    group by {{ key | join(', ') }}
    having count(*) > 1
) as duplicates
having count(*) > 0
{%- for column in unique %}
union all
select
    'duplicate {{ column }}' as broken_check,
    count(*) as failing_rows
from (
    select {{ column }}
    from {{ model }}
    where {{ column }} is not null
    group by {{ column }}
    having count(*) > 1
) as duplicates
having count(*) > 0
{%- endfor %}
{%- for check in checks %}
union all
select
    '{{ check | replace("'", "''") }}' as broken_check,
    count(*) as failing_rows
from {{ model }}
where not ({{ check }})
having count(*) > 0
{%- endfor %}
{% endtest %}
